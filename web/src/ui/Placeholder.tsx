/**
 * What a card shows while its numbers load: a grey block of the size the content will take, so
 * nothing jumps when it arrives, and a status for screen readers. It says nothing about failure:
 * the analytics page shows one error for every card (see analytics/pageStatus.ts).
 */
export function Placeholder({ what, height, inline = false }: { what: string; height?: string; inline?: boolean }) {
  const Tag = inline ? 'span' : 'div';
  return (
    <Tag class={inline ? 'placeholder inline' : 'placeholder'} role="status" aria-busy="true" style={height === undefined ? undefined : { height }}>
      <span class="visually-hidden">Loading {what}</span>
    </Tag>
  );
}
