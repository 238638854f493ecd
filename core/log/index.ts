export { createJsonlLog, EVENT_NAME, type EventLog, type Fields, type JsonlOptions, type Level, memoryLog, renderLine } from "./jsonl.ts";
export { createTerminal, recordingTerminal, type Terminal, wantsColor, type Writable } from "./terminal.ts";
