export * from "./account-access.js";
export * from "./accounts.js";
export * from "./credentials.js";
