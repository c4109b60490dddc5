import { useContext } from 'preact/hooks';
import { PageStatusContext } from './pageStatus.js';

/**
 * What a card shows while its numbers load: a grey block of the size the content will take, so
 * nothing jumps when it arrives, and a status for screen readers. It never shows a failure itself:
 * the analytics page shows one error for every card (see analytics/pageStatus.ts); while it does,
 * the placeholder stops announcing "loading", since nothing loads until Retry.
 */
export function Placeholder({ what, height, inline = false }: { what: string; height?: string; inline?: boolean }) {
  const { failed } = useContext(PageStatusContext);
  const Tag = inline ? 'span' : 'div';
  return (
    <Tag class={inline ? 'placeholder inline' : 'placeholder'} role="status" aria-busy={failed ? 'false' : 'true'} style={height === undefined ? undefined : { height }}>
      <span class="visually-hidden">{failed ? `${what}: not loaded, see the error above` : `Loading ${what}`}</span>
    </Tag>
  );
}
