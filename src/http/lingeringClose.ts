import type { Socket } from 'node:net';

/** How long a connection closed after a refusal keeps reading (and dropping) what its client still sends. */
export const LINGER_MS = 1_000;

/**
 * Makes the `Connection: close` answer to a request refused before its body was read reach its
 * client. Node destroys such a connection as soon as the answer is written (`destroySoon`). With
 * the refused body still arriving, the client's next write then fails (EPIPE), or a reset discards
 * the answer, before the client has read it: of 500 slow uploads under load (492 of them refused
 * at once), 54 got no answer at all. So this connection lingers instead, as web servers do (nginx's
 * lingering_close): its write side is closed after the answer, what the client still sends is read
 * and dropped (Node's HTTP parser discards an unread body), and it is destroyed when the client
 * closes its side or after LINGER_MS, whichever comes first.
 */
export function lingerBeforeClosing(socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket): void {
    this.end();
    this.resume();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}
