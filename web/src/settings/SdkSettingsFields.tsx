/**
 * The client's SDK settings as a form: each flag a checkbox, each number an input with its bounds,
 * every one showing its default, and the API's message under the field it names
 * (`sdk_settings.batch_size`).
 */
import { Field } from '../ui/Field.js';
import { DEFAULT_SDK_SETTINGS, SDK_FLAGS, SDK_NUMBERS, sdkValuesOf, type SdkValues } from './sdkSettingsForm.js';

export function SdkSettingsFields(props: { values: SdkValues; onChange: (values: SdkValues) => void; errorOf: (field: string) => string | undefined }) {
  const { values, onChange, errorOf } = props;
  const general = errorOf('sdk_settings');
  return (
    <fieldset>
      <legend>Tracking script (SDK)</legend>
      <p class="hint">Applies to every page that loads this client’s script; a page’s own init() options still win.</p>
      {SDK_FLAGS.map((flag) => (
        <div class="field checkbox" key={flag.key}>
          <input
            id={`sdk-${flag.key}`}
            type="checkbox"
            name={`sdk_settings.${flag.key}`}
            checked={values[flag.key]}
            aria-describedby={`sdk-${flag.key}-hint`}
            onChange={(event) => onChange({ ...values, [flag.key]: event.currentTarget.checked })}
          />
          <label for={`sdk-${flag.key}`}>{flag.label}</label>
          <small id={`sdk-${flag.key}-hint`} class="hint">
            {flag.hint} Default: {DEFAULT_SDK_SETTINGS[flag.key] ? 'on' : 'off'}.
          </small>
        </div>
      ))}
      <div class="number-fields">
        {SDK_NUMBERS.map((number) => (
          <Field
            key={number.key}
            label={number.label}
            hint={`${number.min}–${number.max.toLocaleString('en-US')} ${number.unit}; default ${DEFAULT_SDK_SETTINGS[number.key].toLocaleString('en-US')}.`}
            error={errorOf(`sdk_settings.${number.key}`)}
          >
            {(aria) => (
              <input
                {...aria}
                type="number"
                inputMode="numeric"
                name={`sdk_settings.${number.key}`}
                min={number.min}
                max={number.max}
                step={1}
                value={values[number.key]}
                onInput={(event) => onChange({ ...values, [number.key]: event.currentTarget.value })}
              />
            )}
          </Field>
        ))}
      </div>
      {general && (
        <p class="error" role="alert">
          {general}
        </p>
      )}
      <button type="button" onClick={() => onChange(sdkValuesOf({}))}>
        Restore the defaults
      </button>
    </fieldset>
  );
}
