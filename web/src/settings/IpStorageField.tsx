/**
 * How ingestion keeps visitors' addresses (`ip_storage`), as three explained choices: the
 * trade-off (what can still be told from a stored address) is the point of the setting.
 */
import type { Client } from '../types.js';

export type IpStorage = Client['ip_storage'];

const MODES: { value: IpStorage; label: string; explain: string }[] = [
  {
    value: 'truncated',
    label: 'Truncated (default)',
    explain: 'The last part is zeroed before storing (IPv4 /24, IPv6 /48): a network, not a household.',
  },
  {
    value: 'hashed',
    label: 'Hashed',
    explain: 'A keyed hash of the client and address is stored: the same visitor gives the same value, but the address cannot be read back.',
  },
  { value: 'none', label: 'Not stored', explain: 'No address is stored at all.' },
];

export function IpStorageField({ value, onChange, error }: { value: IpStorage; onChange: (mode: IpStorage) => void; error?: string | undefined }) {
  return (
    <fieldset class="choices" aria-describedby={error ? 'ip-storage-error' : undefined}>
      <legend>Visitor IP addresses</legend>
      {MODES.map((mode) => (
        <div class="choice" key={mode.value}>
          <input
            id={`ip-storage-${mode.value}`}
            type="radio"
            name="ip_storage"
            value={mode.value}
            checked={value === mode.value}
            aria-describedby={`ip-storage-${mode.value}-explain`}
            onChange={() => onChange(mode.value)}
          />
          <label for={`ip-storage-${mode.value}`}>{mode.label}</label>
          <small id={`ip-storage-${mode.value}-explain`} class="hint">
            {mode.explain}
          </small>
        </div>
      ))}
      {error && (
        <small id="ip-storage-error" class="error" role="alert">
          {error}
        </small>
      )}
    </fieldset>
  );
}
