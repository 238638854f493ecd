export { type Config, DEFAULT_INTERCEPT_DOMAINS } from "./schema.ts";
export { type ConfigError, type ConfigResult, defaultConfig, formatConfigError, loadConfig, parseConfigText } from "./load.ts";
