import { useAppData } from '../data.tsx';
import { setQuery } from '../router.tsx';
import { Field } from './ui.tsx';

/** The "Environment" filter of the list views, kept in the URL as `?env=`. */
export function EnvironmentFilter({ value }: { value: string }) {
  const { environments } = useAppData();
  return (
    <Field label="Environment">
      {(p) => (
        <select {...p} className="input" value={value} onChange={(e) => setQuery({ env: e.target.value })}>
          <option value="">All environments</option>
          {environments.map((e) => (
            <option key={e.key} value={e.key}>
              {e.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
