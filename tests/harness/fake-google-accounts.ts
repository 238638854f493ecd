// Google's OAuth endpoints as the Gemini CLI's login meets them: before it trusts a cached
// ~/.gemini/oauth_creds.json it asks oauth2.googleapis.com/tokeninfo whether the token is still
// good (google-auth-library's OAuth2Client.getTokenInfo), and without a cached account it reads
// www.googleapis.com/oauth2/v2/userinfo. These hosts are not metered: the edge tunnels them raw,
// and [upstream] resolve brings the tunnel here. A refresh (POST /token) is recorded and refused:
// a test whose credentials are still valid must never see one.

import type { Server } from "bun";

export const GOOGLE_ACCOUNT_HOSTS = ["oauth2.googleapis.com", "www.googleapis.com"] as const;

export interface SeenAccountRequest {
  method: string;
  host: string;
  path: string;
}

export interface FakeGoogleAccounts {
  port: number;
  requests: SeenAccountRequest[];
  stop(): void;
}

export function startFakeGoogleAccounts(opts: { cert: string; key: string; email: string }): FakeGoogleAccounts {
  const requests: SeenAccountRequest[] = [];
  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: opts.cert, key: opts.key },
    fetch(req) {
      const url = new URL(req.url);
      const host = req.headers.get("host") ?? url.hostname;
      requests.push({ method: req.method, host, path: url.pathname });
      if (host === "oauth2.googleapis.com" && url.pathname === "/tokeninfo") {
        const expiresIn = 3599;
        return Response.json({
          azp: "fake-client-id.apps.googleusercontent.com",
          aud: "fake-client-id.apps.googleusercontent.com",
          sub: "100000000000000000001",
          scope: "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid",
          exp: String(Math.floor(Date.now() / 1000) + expiresIn),
          expires_in: String(expiresIn),
          email: opts.email,
          email_verified: "true",
          access_type: "offline",
        });
      }
      if (host === "oauth2.googleapis.com" && url.pathname === "/token") {
        return Response.json({ error: "invalid_grant", error_description: "this fake never refreshes" }, { status: 400 });
      }
      if (host === "www.googleapis.com" && url.pathname === "/oauth2/v2/userinfo") {
        return Response.json({ id: "100000000000000000001", email: opts.email, verified_email: true, name: "Dev Example", picture: "" });
      }
      return Response.json({ error: { code: 404, message: "Not Found", status: "NOT_FOUND" } }, { status: 404 });
    },
  });
  return { port: server.port!, requests, stop: () => server.stop(true) };
}
