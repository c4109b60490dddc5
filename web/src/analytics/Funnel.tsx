import { useState } from 'preact/hooks';
import { Placeholder } from './Placeholder.js';
import { formatCount, percent } from './format.js';
import { useCardQuery } from './pageStatus.js';
import { periodFields, runFunnel, runQuery } from './query.js';
import { SavedFunnels } from './SavedFunnels.js';
import type { FunnelStep } from './funnelsApi.js';
import { scopeFields, type PageScope } from './scope.js';

/**
 * Builds a funnel from 2–8 ordered steps (an event name or a page path) and runs it for the page's
 * period and filters. The steps are the page's (it keeps them in the URL); event names and paths
 * are offered from the client's own traffic; steps can be saved under a name for everyone who sees
 * the client. A funnel runs when asked (or when loaded), not on every keystroke.
 */

export type { FunnelStep };

const WINDOWS = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '1 day' },
  { seconds: 604800, label: '7 days' },
  { seconds: 2592000, label: '30 days' },
];
const DEFAULT_WINDOW = 86400;
const MAX_STEPS = 8;
const MIN_STEPS = 2;
const DEFAULT_STEPS: FunnelStep[] = [{ path: '/' }, { event: '' }];
const MAX_LENGTH = { event: 200, path: 1024 } as const;

type Kind = 'event' | 'path';
const kindOf = (step: FunnelStep): Kind => ('event' in step ? 'event' : 'path');
const valueOf = (step: FunnelStep): string => ('event' in step ? step.event : step.path);
const stepOf = (kind: Kind, value: string): FunnelStep => (kind === 'event' ? { event: value } : { path: value });

/** What is wrong with a step before it is sent, or null. */
function stepProblem(step: FunnelStep): string | null {
  const kind = kindOf(step);
  const value = valueOf(step).trim();
  if (value === '') return kind === 'event' ? 'Enter an event name' : 'Enter a path, such as /pricing';
  if (value.length > MAX_LENGTH[kind]) return `At most ${MAX_LENGTH[kind]} characters`;
  return null;
}

const trimmed = (steps: FunnelStep[]): FunnelStep[] => steps.map((s) => stepOf(kindOf(s), valueOf(s).trim()));
const complete = (steps: FunnelStep[]): boolean => steps.length >= MIN_STEPS && steps.every((s) => stepProblem(s) === null);

/** Event names and paths of the period, most frequent first, `$` events last: the inputs' suggestions. */
function useSuggestions(scope: PageScope): { events: string[]; paths: string[] } {
  const names = useCardQuery(
    'funnel-suggestions',
    async () => {
      const base = { client_id: scope.clientId, ...periodFields(scope.period), metrics: ['events'], limit: 200 };
      const [events, paths] = await Promise.all([runQuery({ ...base, dimensions: ['event'] }), runQuery({ ...base, dimensions: ['path'], filters: { event: '$pageview' } })]);
      const column = (rows: (string | number | null)[][]): string[] => rows.map((row) => row[0]).filter((v): v is string => typeof v === 'string' && v !== '');
      const eventNames = column(events.rows);
      return { events: [...eventNames.filter((n) => !n.startsWith('$')), ...eventNames.filter((n) => n.startsWith('$'))], paths: column(paths.rows) };
    },
    [scope.clientId, JSON.stringify(scope.period)],
  );
  return names.data ?? { events: [], paths: [] };
}

const orDefault = (steps: FunnelStep[]): FunnelStep[] => (steps.length >= MIN_STEPS ? steps : DEFAULT_STEPS);

/**
 * `steps` are the steps last drawn; `latestSteps` answers those the page's URL holds now. Edits and
 * "Run funnel" build on the latter: the page redraws only when `hashchange` arrives, and quick
 * edits (typing, then choosing a kind, then running) must all count.
 */
export function FunnelBuilder({
  scope,
  steps: given,
  latestSteps,
  onStepsChange,
}: {
  scope: PageScope;
  steps: FunnelStep[];
  latestSteps: () => FunnelStep[];
  onStepsChange: (steps: FunnelStep[]) => void;
}) {
  const steps = orDefault(given);
  const [windowSeconds, setWindowSeconds] = useState(DEFAULT_WINDOW);
  // The steps last run: those of the URL when complete, then each "Run funnel" or loaded funnel.
  const [applied, setApplied] = useState<{ steps: FunnelStep[]; window: number } | null>(complete(steps) ? { steps: trimmed(steps), window: DEFAULT_WINDOW } : null);
  const [checked, setChecked] = useState(false);
  const suggestions = useSuggestions(scope);
  const result = useCardQuery(
    'funnel',
    () => (applied ? runFunnel({ ...scopeFields(scope), steps: applied.steps, window_seconds: applied.window }) : Promise.resolve(null)),
    [JSON.stringify(scopeFields(scope)), JSON.stringify(applied)],
  );

  const edit = (apply: (current: FunnelStep[]) => FunnelStep[]): void => onStepsChange(apply(orDefault(latestSteps())));
  const change = (index: number, alter: (step: FunnelStep) => FunnelStep): void => edit((current) => current.map((s, i) => (i === index ? alter(s) : s)));
  const run = (event: Event): void => {
    event.preventDefault();
    setChecked(true);
    const latest = orDefault(latestSteps());
    if (complete(latest)) setApplied({ steps: trimmed(latest), window: windowSeconds });
  };

  return (
    <section class="card funnel" aria-labelledby="funnel-title">
      <h2 id="funnel-title">Funnel</h2>
      <SavedFunnels
        clientId={scope.clientId}
        steps={trimmed(steps)}
        windowSeconds={windowSeconds}
        onLoad={(funnel) => {
          onStepsChange(funnel.steps);
          setWindowSeconds(funnel.window_seconds);
          setChecked(false);
          setApplied({ steps: funnel.steps, window: funnel.window_seconds });
        }}
      />
      <form noValidate onSubmit={run}>
        <ol class="steps">
          {steps.map((step, index) => {
            const kind = kindOf(step);
            const problem = checked ? stepProblem(step) : null;
            return (
              <li key={index}>
                <select
                  aria-label={`Step ${index + 1} kind`}
                  value={kind}
                  onChange={(e) => {
                    const chosen = e.currentTarget.value as Kind;
                    change(index, (current) => stepOf(chosen, valueOf(current)));
                  }}
                >
                  <option value="path">Visited page</option>
                  <option value="event">Did event</option>
                </select>
                <input
                  aria-label={`Step ${index + 1} ${kind === 'path' ? 'path' : 'event name'}`}
                  aria-invalid={problem !== null}
                  aria-describedby={problem === null ? undefined : `funnel-step-${index}-error`}
                  list={kind === 'path' ? 'funnel-paths' : 'funnel-events'}
                  value={valueOf(step)}
                  placeholder={kind === 'path' ? '/pricing' : 'Signup'}
                  onInput={(e) => {
                    const typed = e.currentTarget.value;
                    change(index, (current) => stepOf(kindOf(current), typed));
                  }}
                />
                <button type="button" disabled={steps.length <= MIN_STEPS} aria-label={`Remove step ${index + 1}`} onClick={() => edit((current) => current.filter((_, i) => i !== index))}>
                  Remove
                </button>
                {problem !== null && (
                  <small id={`funnel-step-${index}-error`} class="error" role="alert">
                    {problem}
                  </small>
                )}
              </li>
            );
          })}
        </ol>
        <datalist id="funnel-events">
          {suggestions.events.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        <datalist id="funnel-paths">
          {suggestions.paths.map((path) => (
            <option key={path} value={path} />
          ))}
        </datalist>
        <div class="actions">
          <button type="button" disabled={steps.length >= MAX_STEPS} onClick={() => edit((current) => [...current, { event: '' }])}>
            Add step
          </button>
          <label for="funnel-window">Within</label>
          <select id="funnel-window" value={String(windowSeconds)} onChange={(e) => setWindowSeconds(Number(e.currentTarget.value))}>
            {WINDOWS.map((w) => (
              <option key={w.seconds} value={String(w.seconds)}>
                {w.label}
              </option>
            ))}
          </select>
          <button type="submit" class="primary">
            Run funnel
          </button>
        </div>
      </form>
      {applied && (result.data ? <FunnelTable steps={result.data.steps} /> : <Placeholder what="the funnel" height={`${2.5 * (applied.steps.length + 1)}rem`} />)}
    </section>
  );
}

interface StepResult {
  step: number;
  label: string;
  count: number;
  conversion_rate: number;
  step_conversion_rate: number;
}

function FunnelTable({ steps }: { steps: StepResult[] }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col" class="num">
              People
            </th>
            <th scope="col" class="num">
              Of step 1
            </th>
            <th scope="col" class="num">
              Of previous
            </th>
          </tr>
        </thead>
        <tbody>
          {steps.map((step) => (
            <tr key={step.step}>
              <th scope="row" class="label">
                {step.step}. {step.label}
                <span class="bar" aria-hidden="true">
                  <span class="fill" style={{ width: `${Math.round(step.conversion_rate * 100)}%` }} />
                </span>
              </th>
              <td class="num" data-value={step.count}>
                {formatCount(step.count)}
              </td>
              <td class="num">{percent(step.conversion_rate)}</td>
              <td class="num">{percent(step.step_conversion_rate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
