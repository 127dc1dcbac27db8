// The risk models' pure core: features, regression, metrics, training and explained scoring.
export * from "./features";
export * from "./logistic";
export * from "./metrics";
export * from "./model";
export * from "./examples";
