import { useMemo } from 'preact/hooks';
import { renderSVG } from 'uqr';

/**
 * A QR code of a URL, drawn by uqr (MIT, no dependencies) as SVG and shown as an image from a
 * `data:` URL: the page's CSP allows `img-src data:`, while inline SVG markup would need inline
 * styles or innerHTML. Always dark on white, whatever the colour scheme: scanners expect that
 * contrast. The same SVG downloads as a file for print.
 */
export function QrCode({ url, fileName }: { url: string; fileName: string }) {
  const source = useMemo(() => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(renderSVG(url, { ecc: 'M', border: 2 }))}`, [url]);
  return (
    <figure class="qr">
      <img src={source} alt={`QR code of ${url}`} width={180} height={180} data-url={url} />
      <figcaption>
        <a class="button" href={source} download={fileName}>
          Download SVG
        </a>
      </figcaption>
    </figure>
  );
}
