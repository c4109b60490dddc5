// Words a script cannot bind as a global variable name (reserved, strict-mode restricted, or
// non-writable globals).
const RESERVED = new Set(
  `break case catch class const continue debugger default delete do else enum export extends false
  finally for function if import in instanceof new null return super switch this throw true try
  typeof var void while with yield let static implements interface package private protected public
  await arguments eval undefined NaN Infinity`.split(/\s+/),
);

// Globals a page already relies on. Assigning the SDK over any of them would break the customer's
// site or the third-party tags the loader injects (dataLayer, gtag, fbq, ...).
const BROWSER_GLOBALS = new Set(
  `window self globalThis document location navigator history screen top parent frames opener name
  status origin length closed frameElement localStorage sessionStorage indexedDB crypto performance
  console fetch XMLHttpRequest alert confirm prompt open close print stop focus blur postMessage
  setTimeout setInterval clearTimeout clearInterval requestAnimationFrame cancelAnimationFrame
  requestIdleCallback queueMicrotask structuredClone atob btoa caches customElements event external
  visualViewport speechSynthesis innerWidth innerHeight outerWidth outerHeight scrollX scrollY
  pageXOffset pageYOffset screenX screenY screenLeft screenTop devicePixelRatio getComputedStyle
  matchMedia scroll scrollTo scrollBy find getSelection isSecureContext crossOriginIsolated
  trustedTypes chrome Image Audio Option Worker SharedWorker WebSocket URL URLSearchParams Blob File
  FileReader FormData Headers Request Response Event CustomEvent EventTarget Node Element
  HTMLElement MutationObserver IntersectionObserver ResizeObserver Notification TextEncoder
  TextDecoder AbortController BroadcastChannel MessageChannel Object Function Array Number Boolean
  String Symbol BigInt Math JSON Date RegExp Error TypeError RangeError SyntaxError ReferenceError
  EvalError URIError AggregateError Promise Proxy Reflect Map Set WeakMap WeakSet WeakRef
  FinalizationRegistry ArrayBuffer SharedArrayBuffer DataView Atomics Int8Array Uint8Array
  Uint8ClampedArray Int16Array Uint16Array Int32Array Uint32Array Float32Array Float64Array
  BigInt64Array BigUint64Array Intl WebAssembly parseInt parseFloat isNaN isFinite encodeURI
  decodeURI encodeURIComponent decodeURIComponent escape unescape dataLayer gtag ga fbq _fbq ttq hj
  _hjSettings lintrk google_tag_manager`.split(/\s+/),
);

// ASCII only: the name also prefixes the SDK's cookie and localStorage keys, and cookie names
// must be plain tokens.
const ASCII_IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

/** Whether `name` can safely become `window[name]` for a client's SDK. */
// Event handler properties of window (onload, onerror, ...): assigning one installs a handler.
const WINDOW_EVENTS = new Set(
  `abort afterprint animationend animationiteration animationstart beforeinput beforeprint beforeunload
  blur change click close contextmenu copy cut dblclick devicemotion deviceorientation drag dragend
  dragenter dragleave dragover dragstart drop error focus focusin focusout hashchange input invalid
  keydown keypress keyup languagechange load message messageerror mousedown mouseenter mouseleave
  mousemove mouseout mouseover mouseup offline online pagehide pageshow paste pointercancel
  pointerdown pointerenter pointerleave pointermove pointerout pointerover pointerup popstate
  rejectionhandled reset resize scroll scrollend select storage submit touchcancel touchend touchmove
  touchstart transitionend unhandledrejection unload visibilitychange wheel`.split(/\s+/),
);
const isEventHandler = (name: string): boolean => name.startsWith('on') && WINDOW_EVENTS.has(name.slice(2));

export function isUsableGlobalName(name: string): boolean {
  return ASCII_IDENTIFIER.test(name) && !RESERVED.has(name) && !BROWSER_GLOBALS.has(name) && !isEventHandler(name);
}
