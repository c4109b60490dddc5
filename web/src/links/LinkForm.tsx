import { useState } from 'preact/hooks';
import { Dialog } from '../ui/Dialog.js';
import { Field, TextField } from '../ui/Field.js';
import { FormFailure } from '../ui/pageParts.js';
import { onSubmitRun, useSubmit } from '../ui/useSubmit.js';
import { linkBody, localInputValue } from './linkFields.js';
import { linksApi, type Link } from './linksApi.js';

/**
 * Creating and editing a link, in a dialog over the list. On create only what is filled in is
 * sent (an empty slug asks the API to generate one); on edit only what changed, an emptied title
 * or expiry becoming null. The password is write-only: the API never returns it, so editing
 * offers "keep", "replace" (type a new one) or "remove". The API validates; its messages are shown
 * at the fields.
 */

const FORM_FIELDS = ['destination_url', 'slug', 'title', 'tags', 'password', 'expires_at'];

export function LinkForm({ clientId, link, onSaved, onClose }: { clientId: string; link: Link | null; onSaved: (link: Link) => void; onClose: () => void }) {
  const [values, setValues] = useState({
    destination_url: link?.destination_url ?? '',
    slug: link?.slug ?? '',
    title: link?.title ?? '',
    tags: link?.tags.join(', ') ?? '',
    expires: localInputValue(link?.expires_at ?? null),
  });
  const [passwordMode, setPasswordMode] = useState<'keep' | 'set' | 'remove'>(link?.has_password ? 'keep' : 'set');
  const [password, setPassword] = useState('');
  const submission = useSubmit();
  const set = (name: keyof typeof values) => (value: string) => setValues({ ...values, [name]: value });
  const save = (): Promise<void> =>
    submission.run(async () => {
      const body = linkBody(values, { mode: link === null || !link.has_password ? (password === '' ? 'keep' : 'set') : passwordMode, value: password }, link);
      const saved = link === null ? await linksApi.create(clientId, body) : Object.keys(body).length === 0 ? link : await linksApi.update(clientId, link.id, body);
      onSaved(saved);
    });
  const tagError = submission.errorUnder('tags');
  return (
    <Dialog title={link === null ? 'New link' : `Edit /${link.slug}`} onClose={onClose}>
      <form class="form link-form" noValidate onSubmit={onSubmitRun(save)}>
        <TextField label="Destination URL" name="destination_url" type="url" value={values.destination_url} onInput={set('destination_url')} error={submission.errorOf('destination_url')} placeholder="https://example.com/summer-sale" required />
        <TextField label="Slug" name="slug" value={values.slug} onInput={set('slug')} error={submission.errorOf('slug')} hint={link === null ? 'Leave empty for a generated one. Letters, digits, - and _; not case-sensitive.' : 'Changing it breaks links already shared.'} />
        <TextField label="Title" name="title" value={values.title} onInput={set('title')} error={submission.errorOf('title')} />
        <TextField label="Tags" name="tags" value={values.tags} onInput={set('tags')} error={tagError} hint="Separated by commas." placeholder="campaign, summer" />
        <Field label="Expires" error={submission.errorOf('expires_at')} hint="Your local time. After it, the short URL answers “expired”. Leave empty for never.">
          {(aria) => <input {...aria} type="datetime-local" name="expires_at" value={values.expires} onInput={(e) => set('expires')(e.currentTarget.value)} />}
        </Field>
        {link?.has_password && (
          <fieldset>
            <legend>Password</legend>
            <div class="choices">
              {(
                [
                  ['keep', 'Keep the current password'],
                  ['set', 'Replace it'],
                  ['remove', 'Remove it: anyone with the short URL gets through'],
                ] as const
              ).map(([mode, label]) => (
                <div class="choice" key={mode}>
                  <input type="radio" id={`password-${mode}`} name="password_mode" checked={passwordMode === mode} onChange={() => setPasswordMode(mode)} />
                  <label for={`password-${mode}`}>{label}</label>
                </div>
              ))}
            </div>
          </fieldset>
        )}
        {(!link?.has_password || passwordMode === 'set') && (
          <Field label={link?.has_password ? 'New password' : 'Password'} error={submission.errorOf('password')} hint="Optional. Visitors must type it before they are sent on.">
            {(aria) => <input {...aria} type="password" name="password" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />}
          </Field>
        )}
        <FormFailure submission={submission} fields={FORM_FIELDS} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={submission.busy}>
            {link === null ? 'Create link' : 'Save link'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
