import type { Period, PeriodName } from './query.js';

const CHOICES: { name: PeriodName; label: string }[] = [
  { name: 'today', label: 'Today' },
  { name: '24h', label: 'Last 24 hours' },
  { name: '7d', label: 'Last 7 days' },
  { name: '30d', label: 'Last 30 days' },
  { name: '90d', label: 'Last 90 days' },
  { name: '12mo', label: 'Last 12 months' },
  { name: 'custom', label: 'Custom range' },
];

const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

export function PeriodPicker(props: { period: Period; onChange: (period: Period) => void; compare: boolean; onCompare: (compare: boolean) => void }) {
  const { period, onChange } = props;
  return (
    <form class="period" aria-label="Reporting period" onSubmit={(event) => event.preventDefault()}>
      <div class="field">
        <label for="period">Period</label>
        <select
          id="period"
          name="period"
          value={period.name}
          onChange={(e) => {
            const name = e.currentTarget.value as PeriodName;
            const today = new Date();
            const from = period.from || isoDay(new Date(today.getTime() - 6 * 86_400_000));
            onChange({ name, from, to: period.to || isoDay(today) });
          }}
        >
          {CHOICES.map((choice) => (
            <option key={choice.name} value={choice.name}>
              {choice.label}
            </option>
          ))}
        </select>
      </div>
      {period.name === 'custom' && (
        <>
          <div class="field">
            <label for="period-from">From</label>
            <input id="period-from" type="date" value={period.from} max={period.to} onChange={(e) => onChange({ ...period, from: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for="period-to">To</label>
            <input id="period-to" type="date" value={period.to} min={period.from} onChange={(e) => onChange({ ...period, to: e.currentTarget.value })} />
          </div>
          {period.from > period.to && (
            <p class="error" role="alert">
              The range must start on or before its last day.
            </p>
          )}
        </>
      )}
      <div class="field checkbox">
        <input id="compare" type="checkbox" checked={props.compare} onChange={(e) => props.onCompare(e.currentTarget.checked)} />
        <label for="compare">Compare with the previous period</label>
      </div>
    </form>
  );
}
