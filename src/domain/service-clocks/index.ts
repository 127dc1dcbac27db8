// Service clocks: policies as data, business calendars, and the engine that recomputes clocks from events.
export * from "./types";
export * from "./errors";
export * from "./policies";
export * from "./business-calendar";
export * from "./extensions";
export * from "./engine";
export { startEvents } from "./start";
