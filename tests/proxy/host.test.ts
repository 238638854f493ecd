import { expect, test } from "bun:test";
import { canonicalHost } from "../../core/http/host.ts";
import { interceptedHosts } from "../../core/intercept.ts";
import { normalizeHost } from "../../core/providers/_headers.ts";
import { parseAuthority } from "../../core/proxy/target.ts";
import { normaliseHost } from "../../core/tls/host.ts";

// One host normaliser under the CONNECT target, the intercepted list, the adapters and the CA:
// the same spelling of a name comes out the same everywhere.

test("every layer reads one spelling of a host as the same name", () => {
  const spelled = " API.Anthropic.COM. ";
  expect(canonicalHost(spelled)).toBe("api.anthropic.com");
  expect(parseAuthority("API.Anthropic.COM.:443")).toEqual({ ok: true, target: { host: "api.anthropic.com", port: 443 } });
  expect(interceptedHosts([spelled]).has("api.anthropic.com")).toBe(true);
  expect(normalizeHost("API.Anthropic.COM.:443")).toBe("api.anthropic.com");
  expect(normaliseHost(spelled)).toBe("api.anthropic.com");
});
