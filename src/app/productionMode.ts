/**
 * Imported first by the command line, so that it runs before graphql is loaded: unless NODE_ENV
 * says otherwise, the platform runs in production mode. graphql-js then skips its development-time
 * `instanceof` checks (about a tenth of executing a large query) and Apollo Server and express their
 * development defaults (stack traces in error answers).
 */
process.env.NODE_ENV ??= 'production';
