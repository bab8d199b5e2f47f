/** A cookie-keeping HTTP client for the console, as a browser without JavaScript would use it. */
import { expect } from 'vitest';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

export class ConsoleSession {
  readonly cookies = new Map<string, string>();
  constructor(readonly origin: string) {}

  private keep(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(
    method: string,
    path: string,
    init: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader;
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const response = await fetch(this.origin + path, { method, headers, body, redirect: 'manual' });
    this.keep(response.headers);
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  get(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.request('GET', path, headers ? { headers } : {});
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
    return this.request('POST', path, { form, headers: { 'origin': this.origin, 'sec-fetch-site': 'same-origin', ...headers } });
  }

  /** The CSRF token of the first form on a page. */
  static csrf(text: string): string {
    const match = /name="csrf" value="([^"]+)"/.exec(text);
    expect(match).not.toBeNull();
    return match![1]!;
  }

  async signIn(key: string, next = '/console/approvals'): Promise<Reply> {
    const form = await this.get(`/console/sign-in?next=${encodeURIComponent(next)}`);
    expect(form.status).toBe(200);
    return this.post('/console/sign-in', { csrf: ConsoleSession.csrf(form.text), key, next });
  }
}
