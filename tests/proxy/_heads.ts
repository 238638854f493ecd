// Request heads as real clients send them to a proxy: CONNECTs from CLIs and SDKs, plain-HTTP
// absolute-form requests, and the decrypted requests the daemon frames (Anthropic, OpenAI,
// Gemini) with the headers gateways are known to mangle.

export const REQUEST_HEADS: readonly string[] = [
  "CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n\r\n",
  "CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\nProxy-Connection: Keep-Alive\r\nUser-Agent: curl/8.14.1\r\n\r\n",
  "CONNECT chatgpt.com:443 HTTP/1.1\r\nhost: chatgpt.com:443\r\n\r\n",
  "CONNECT generativelanguage.googleapis.com:443 HTTP/1.1\r\nHost: generativelanguage.googleapis.com:443\r\nConnection: keep-alive\r\n\r\n",
  "CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n",
  "CONNECT api.x.ai:443 HTTP/1.0\r\n\r\n",
  "CONNECT github.com:443 HTTP/1.1\r\nHost: github.com:443\r\nProxy-Authorization: Basic cHJvamVjdDpteS1hcHA=\r\nUser-Agent: git/2.47.2\r\n\r\n",
  "GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\nUser-Agent: python-requests/2.32.3\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
  "GET http://127.0.0.1:8080/a/b?c=1&d=%20x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nProxy-Connection: keep-alive\r\n\r\n",
  "HEAD http://deb.debian.org/debian/dists/trixie/InRelease HTTP/1.1\r\nHost: deb.debian.org\r\nUser-Agent: Debian APT-HTTP/1.3 (3.0.3)\r\n\r\n",
  "POST http://localhost:11434/api/generate HTTP/1.1\r\nHost: localhost:11434\r\nContent-Type: application/json\r\nContent-Length: 52\r\n\r\n",
  "POST /v1/messages HTTP/1.1\r\nhost: api.anthropic.com\r\nconnection: keep-alive\r\nAccept: application/json\r\nX-Stainless-Retry-Count: 0\r\nX-Stainless-Timeout: 600\r\nX-Stainless-Lang: js\r\nX-Stainless-Package-Version: 0.60.0\r\nX-Stainless-OS: Linux\r\nX-Stainless-Arch: x64\r\nX-Stainless-Runtime: node\r\nX-Stainless-Runtime-Version: v22.17.0\r\nanthropic-dangerous-direct-browser-access: true\r\nanthropic-version: 2023-06-01\r\nauthorization: Bearer sk-ant-oat01-xxxx\r\nx-app: cli\r\nUser-Agent: claude-cli/2.0.14 (external, cli)\r\ncontent-type: application/json\r\nanthropic-beta: claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14\r\nx-stainless-helper-method: stream\r\naccept-language: *\r\nsec-fetch-mode: cors\r\naccept-encoding: gzip, deflate\r\ncontent-length: 48213\r\n\r\n",
  "POST /v1/messages?beta=true HTTP/1.1\r\nHost: api.anthropic.com\r\nx-api-key: sk-ant-api03-xxxx\r\nanthropic-version: 2023-06-01\r\nanthropic-beta: prompt-caching-2024-07-31\r\nanthropic-beta: context-1m-2025-08-07\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
  "POST /v1/messages/count_tokens HTTP/1.1\r\nHost: api.anthropic.com\r\nanthropic-version: 2023-06-01\r\nContent-Length: 120\r\n\r\n",
  "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\nAuthorization: Bearer sk-proj-xxxx\r\nOpenAI-Organization: org-xxxx\r\nOpenAI-Beta: assistants=v2\r\nContent-Type: application/json\r\nContent-Length: 310\r\nUser-Agent: OpenAI/Python 1.99.9\r\n\r\n",
  "POST /v1/responses HTTP/1.1\r\nHost: api.openai.com\r\nauthorization: Bearer sk-xxxx\r\ncontent-type: application/json\r\naccept: text/event-stream\r\ncontent-length: 2048\r\n\r\n",
  "POST /backend-api/codex/responses HTTP/1.1\r\nHost: chatgpt.com\r\nchatgpt-account-id: 00000000-0000-0000-0000-000000000000\r\nOpenAI-Beta: responses=experimental\r\nsession_id: 0199f0a0-0000-7000-8000-000000000000\r\noriginator: codex_cli_rs\r\nversion: 0.46.0\r\nUser-Agent: codex_cli_rs/0.46.0 (Debian 13.0.0; x86_64) xterm-256color\r\naccept: text/event-stream\r\ncontent-length: 9120\r\n\r\n",
  "POST /v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse HTTP/1.1\r\nHost: generativelanguage.googleapis.com\r\nx-goog-api-key: AIzaSyxxxx\r\nx-goog-api-client: google-genai-sdk/1.20.0 gl-node/22.17.0\r\nContent-Type: application/json\r\nContent-Length: 333\r\n\r\n",
  "POST /v1internal:streamGenerateContent?alt=sse HTTP/1.1\r\nHost: cloudcode-pa.googleapis.com\r\nAuthorization: Bearer ya29.xxxx\r\nUser-Agent: GeminiCLI/0.9.0 (linux; x64)\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n",
  "GET /v1/models HTTP/1.1\r\nHost: api.x.ai\r\nAuthorization: Bearer xai-xxxx\r\nAccept: */*\r\n\r\n",
  "GET /v1/realtime?model=gpt-realtime HTTP/1.1\r\nHost: api.openai.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
];
