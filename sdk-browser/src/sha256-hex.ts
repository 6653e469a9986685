/** Hex SHA-256 of the UTF-8 bytes of each input. Kept apart, and imported only when a context holds sensitive values. */
export async function sha256Hex(inputs: string[], subtle: Pick<SubtleCrypto, 'digest'> | null): Promise<string[]> {
  if (!subtle) throw new Error('Sensitive attributes need crypto.subtle (https or localhost)');
  return Promise.all(
    inputs.map(async (input) => {
      const digest = await subtle.digest('SHA-256', new TextEncoder().encode(input));
      return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
    }),
  );
}
