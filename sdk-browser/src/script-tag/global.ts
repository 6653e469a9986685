/** What `<script src=".../switchboard.global.js">` puts on `window.Switchboard`. */
export { createClient } from '../index.ts';
