const YEAR_SECONDS = 365 * 24 * 3600;

/**
 * Persistence of one SDK instance: localStorage keys and first-party cookies named
 * `<global_name>_<pk>_<key>`, so two clients on one page never read each other's state. Writes
 * happen only while `allowed()` (consent given, Do Not Track not in force); every access is
 * guarded because storage throws in some privacy modes and sandboxed frames.
 */
export class Storage {
  constructor(
    readonly prefix: string,
    private readonly allowed: () => boolean,
  ) {}

  get(key: string): string | null {
    try {
      return localStorage.getItem(this.prefix + key);
    } catch {
      return null;
    }
  }

  set(key: string, value: string): void {
    if (!this.allowed()) return;
    try {
      localStorage.setItem(this.prefix + key, value);
    } catch {
      // Quota exceeded or storage disabled: the SDK keeps working from memory.
    }
  }

  remove(key: string): void {
    try {
      localStorage.removeItem(this.prefix + key);
    } catch {
      // Nothing stored, then.
    }
  }

  getJson<T>(key: string): T | null {
    const text = this.get(key);
    if (text === null) return null;
    try {
      return JSON.parse(text) as T;
    } catch {
      return null;
    }
  }

  setJson(key: string, value: unknown): void {
    this.set(key, JSON.stringify(value));
  }

  cookie(key: string): string | null {
    const name = this.prefix + key + '=';
    for (const part of document.cookie.split('; ')) {
      if (part.indexOf(name) === 0) return decodeURIComponent(part.slice(name.length));
    }
    return null;
  }

  setCookie(key: string, value: string): void {
    if (!this.allowed()) return;
    this.writeCookie(key, encodeURIComponent(value), YEAR_SECONDS);
  }

  /** Removes every key and cookie of this instance, and only those. */
  clear(): void {
    try {
      for (let i = localStorage.length - 1; i >= 0; i -= 1) {
        const key = localStorage.key(i);
        if (key !== null && key.indexOf(this.prefix) === 0) localStorage.removeItem(key);
      }
    } catch {
      // Storage unavailable: nothing was stored.
    }
    for (const part of document.cookie.split('; ')) {
      const name = part.split('=')[0] || '';
      if (name.indexOf(this.prefix) === 0) this.writeCookie(name.slice(this.prefix.length), '', 0);
    }
  }

  private writeCookie(key: string, value: string, maxAge: number): void {
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    document.cookie = `${this.prefix}${key}=${value}; path=/; max-age=${maxAge}; SameSite=Lax${secure}`;
  }
}
