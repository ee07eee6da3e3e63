// Placeholder replaced by the sync shim.
export {};
