import { useState } from 'preact/hooks';
import { ErrorNote } from '../ui/misc.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';
import { percent } from './format.js';
import { periodFields, runFunnel, type FunnelResult, type Period } from './query.js';

interface StepDraft {
  kind: 'event' | 'path';
  value: string;
}

const WINDOWS = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '1 day' },
  { seconds: 604800, label: '7 days' },
  { seconds: 2592000, label: '30 days' },
];
const MAX_STEPS = 8;

/** Builds a funnel from 2–8 ordered steps (an event name or a page path) and runs it for the period. */
export function FunnelBuilder({ clientId, period }: { clientId: string; period: Period }) {
  const [steps, setSteps] = useState<StepDraft[]>([
    { kind: 'path', value: '/' },
    { kind: 'event', value: '' },
  ]);
  const [windowSeconds, setWindowSeconds] = useState(86400);
  const [result, setResult] = useState<FunnelResult | null>(null);
  const submission = useSubmit();
  const { failure } = submission;
  const change = (index: number, step: StepDraft): void => setSteps(steps.map((s, i) => (i === index ? step : s)));

  const run = (): Promise<void> =>
    submission.run(async () => {
      setResult(null);
      setResult(
        await runFunnel({
          client_id: clientId,
          steps: steps.map((s) => (s.kind === 'event' ? { event: s.value.trim() } : { path: s.value.trim() })),
          window_seconds: windowSeconds,
          ...periodFields(period),
        }),
      );
    });

  return (
    <section class="card funnel" aria-labelledby="funnel-title">
      <h2 id="funnel-title">Funnel</h2>
      <form noValidate onSubmit={onSubmitRun(run)}>
        <ol class="steps">
          {steps.map((step, index) => (
            <li key={index}>
              <select aria-label={`Step ${index + 1} kind`} value={step.kind} onChange={(e) => change(index, { ...step, kind: e.currentTarget.value as StepDraft['kind'] })}>
                <option value="path">Visited page</option>
                <option value="event">Did event</option>
              </select>
              <input
                aria-label={`Step ${index + 1} ${step.kind === 'path' ? 'path' : 'event name'}`}
                aria-invalid={Boolean(failure?.forField(`steps.${index}.${step.kind}`))}
                value={step.value}
                placeholder={step.kind === 'path' ? '/pricing' : 'Signup'}
                onInput={(e) => change(index, { ...step, value: e.currentTarget.value })}
              />
              <button type="button" disabled={steps.length <= 2} aria-label={`Remove step ${index + 1}`} onClick={() => setSteps(steps.filter((_, i) => i !== index))}>
                Remove
              </button>
            </li>
          ))}
        </ol>
        <div class="actions">
          <button type="button" disabled={steps.length >= MAX_STEPS} onClick={() => setSteps([...steps, { kind: 'event', value: '' }])}>
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
          <button type="submit" class="primary" disabled={submission.busy}>
            Run funnel
          </button>
        </div>
      </form>
      {failure && <ErrorNote error={failure} />}
      {result && (
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
              {result.steps.map((step) => (
                <tr key={step.step}>
                  <th scope="row" class="label">
                    {step.step}. {step.label}
                    <span class="bar" aria-hidden="true">
                      <span class="fill" style={{ width: `${Math.round(step.conversion_rate * 100)}%` }} />
                    </span>
                  </th>
                  <td class="num" data-value={step.count}>
                    {step.count}
                  </td>
                  <td class="num">{percent(step.conversion_rate)}</td>
                  <td class="num">{percent(step.step_conversion_rate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
