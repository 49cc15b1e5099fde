import type express from 'express';
import type { Viewer } from '../auth/viewer.js';
import { mayPerform } from '../auth/roles.js';
import type { GraphqlDependencies } from '../context.js';
import { badInput, DATABASE_RETRY_AFTER_SECONDS, httpStatusForCode, toApiError } from '../errors.js';
import { rateLimitMessage, reportTokens, type RateLimiter } from '../rateLimiter.js';
import { buildAuditReport, type AuditRequest } from './auditReport.js';
import { auditHtml, auditMarkdown } from './renderAudit.js';

const formats = { json: 'application/json', md: 'text/markdown', html: 'text/html' } as const;
type Format = keyof typeof formats;

/**
 * Downloadable audit reports:
 *   GET /reports/models/<modelName>/<version>?format=json|md|html[&asOf=ISO][&progress=all]
 *   GET /reports/deployments/<deploymentName>?asOf=ISO&format=json|md|html[&progress=all]
 * progress=all lists every run's progress reports (by default they are summarised).
 * Authenticated like /graphql (Authorization: Bearer); any role may read. Rate limited with /graphql's
 * buckets, a report costing `reportTokens`: 429 with Retry-After when the caller's bucket is spent.
 */
export function mountReportRoutes(
  app: express.Express,
  deps: GraphqlDependencies,
  authenticate: (header?: string) => Promise<Viewer>,
  onInternal: (error: unknown) => void,
  rateLimiter: RateLimiter | null,
): void {
  const send = async (req: express.Request, res: express.Response, request: () => AuditRequest) => {
    try {
      const viewer = await authenticate(req.headers.authorization);
      if (!mayPerform(viewer.roles, 'read')) {
        res.status(403).json({ error: `${viewer.actor} may not read reports` });
        return;
      }
      const waitSeconds = rateLimiter?.take(viewer.tokenId ?? `address:${req.ip}`, reportTokens) ?? 0;
      if (waitSeconds > 0) {
        res.setHeader('retry-after', String(waitSeconds));
        res.status(429).json({ error: rateLimitMessage(waitSeconds), code: 'RATE_LIMITED' });
        return;
      }
      const format = String(req.query.format ?? 'json') as Format;
      if (!(format in formats)) {
        res.status(400).json({ error: `format must be one of ${Object.keys(formats).join(', ')}` });
        return;
      }
      const report = await buildAuditReport(deps, {
        ...request(),
        includeProgress: req.query.progress === 'all',
      });
      if (!report) {
        res.status(404).json({ error: 'no such model version or deployment (at that time)' });
        return;
      }
      const base = report.subject.deploymentName
        ? `audit-${report.subject.deploymentName}-${report.subject.asOf}`
        : `audit-${report.subject.modelName}-v${report.subject.version}`;
      res.type(formats[format]);
      res.setHeader('content-disposition', `inline; filename="${base.replace(/[^\w.-]/g, '_')}.${format}"`);
      res.send(
        format === 'json'
          ? JSON.stringify(report, null, 2)
          : format === 'md'
            ? auditMarkdown(report)
            : auditHtml(report),
      );
    } catch (error) {
      const mapped = toApiError(error, onInternal);
      const status = httpStatusForCode(mapped.code);
      if (status === 503) res.setHeader('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      res.status(status).json({ error: mapped.message, code: mapped.code });
    }
  };
  const asOfOf = (req: express.Request): Date | undefined => {
    if (req.query.asOf === undefined) return undefined;
    const text = String(req.query.asOf);
    const date = new Date(text);
    if (text.trim() === '' || Number.isNaN(date.getTime()))
      throw badInput(`asOf "${text}" is not a date; give an ISO time such as 2026-01-31T12:00:00Z`);
    return date;
  };
  app.get('/reports/models/:modelName/:version', (req, res) =>
    send(req, res, () => {
      const version = Number(req.params.version);
      if (!Number.isSafeInteger(version) || version < 1)
        throw badInput(`version "${req.params.version}" is not a version number (1, 2, ...)`);
      return { modelName: String(req.params.modelName), version, asOf: asOfOf(req) };
    }),
  );
  app.get('/reports/deployments/:deploymentName', (req, res) =>
    send(req, res, () => ({
      deploymentName: String(req.params.deploymentName),
      asOf: asOfOf(req) ?? new Date(),
    })),
  );
}
