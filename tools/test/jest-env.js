// Runs in every jest worker before the tests: Google libraries must never probe the metadata
// server, however jest was started (npm test sets this too).
process.env.METADATA_SERVER_DETECTION = 'none';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
