import type { AuditEvent, AuditReport } from './auditReport.js';

/** The facts of an event worth a line: everything but bulky per-example payloads, compact JSON. */
function facts(event: AuditEvent): string {
  const text = JSON.stringify(event.data);
  return text.length > 600 ? `${text.slice(0, 600)}...` : text;
}

function eventLines(events: readonly AuditEvent[]): string[] {
  if (events.length === 0) return ['_none_'];
  return events.map(
    (event) =>
      `- ${event.recordedAt} **${event.type}** by \`${event.actor}\` (${event.streamId} v${event.streamVersion})  \n  \`${facts(event).replaceAll('`', "'")}\``,
  );
}

/** A readable Markdown document of the report (the JSON form has every field). */
export function auditMarkdown(report: AuditReport): string {
  const { subject } = report;
  const title = subject.deploymentName
    ? `Audit report: deployment ${subject.deploymentName} as of ${subject.asOf} (model ${subject.modelName} v${subject.version})`
    : `Audit report: model ${subject.modelName} v${subject.version}${subject.asOf ? ` as of ${subject.asOf}` : ''}`;
  const lines = [
    `# ${title}`,
    '',
    `Generated ${report.generatedAt}. Hash chains: **${report.allChainsIntact ? 'all intact' : 'BROKEN - see Integrity'}**.`,
    '',
    '## Dataset revisions',
    ...eventLines(report.datasetRevisions),
    '',
    '## Training runs',
    ...report.runs.flatMap((run) => [
      '',
      `### Run ${run.runId}`,
      ...eventLines(run.events),
      ...run.modelsUsed.map(
        (use) =>
          `- trained with ${use.role} \`${use.modelName}\` v${use.version} (its run is listed in this report)`,
      ),
      ...(run.progress
        ? [
            `- ${run.progress.reports} progress report(s), steps ${run.progress.firstStep}-${run.progress.lastStep}, last loss ${run.progress.lastLoss ?? 'n/a'} (${run.progress.firstRecordedAt} to ${run.progress.lastRecordedAt})`,
          ]
        : []),
    ]),
    '',
    '## Evaluations',
    ...(report.evaluations.length === 0
      ? ['_none_']
      : report.evaluations.flatMap((evaluation) => [
          '',
          `### Evaluation ${evaluation.evaluationId}`,
          ...eventLines(evaluation.events),
        ])),
    '',
    '## Registry: registration, promotions, archival',
    ...eventLines(report.registry),
    '',
    '## Deployments and rollbacks',
    ...(report.deployments.length === 0
      ? ['_none_']
      : report.deployments.flatMap((deployment) => [
          '',
          `### Deployment ${deployment.deploymentName}`,
          ...eventLines(deployment.events),
        ])),
    '',
    '## Feedback',
    `${report.feedback.interactions} interaction(s) served by this version; dataset revisions built from feedback: ${
      report.feedback.flywheelRevisions.length > 0 ? report.feedback.flywheelRevisions.join(', ') : 'none'
    }.`,
    '',
    '## Integrity',
    '',
    '| stream | events | chain |',
    '|---|---|---|',
    ...report.integrity.map(
      (result) =>
        `| ${result.streamId} | ${result.eventsChecked} | ${result.ok ? 'intact' : `BROKEN at v${result.firstBrokenVersion}: ${result.reason}`} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** The Markdown document as a self-contained HTML page (headings, lists, table; no scripts). */
export function auditHtml(report: AuditReport): string {
  const body: string[] = [];
  let inList = false;
  let inTable = false;
  const inline = (text: string) =>
    escapeHtml(text)
      .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
      .replace(/`([^`]*)`/g, '<code>$1</code>')
      .replace(/_none_/g, '<em>none</em>');
  for (const line of auditMarkdown(report).split('\n')) {
    if (inList && !line.startsWith('- ') && !line.startsWith('  ')) {
      body.push('</ul>');
      inList = false;
    }
    if (inTable && !line.startsWith('|')) {
      body.push('</table>');
      inTable = false;
    }
    if (line.startsWith('# ')) body.push(`<h1>${inline(line.slice(2))}</h1>`);
    else if (line.startsWith('## ')) body.push(`<h2>${inline(line.slice(3))}</h2>`);
    else if (line.startsWith('### ')) body.push(`<h3>${inline(line.slice(4))}</h3>`);
    else if (line.startsWith('- ')) {
      if (!inList) body.push('<ul>');
      inList = true;
      body.push(`<li>${inline(line.slice(2).replace(/ {2}$/, ''))}`);
    } else if (line.startsWith('  ') && inList) body.push(`<br>${inline(line.trim())}</li>`);
    else if (line.startsWith('|')) {
      if (line.startsWith('|---')) continue;
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((cell) => inline(cell.trim()));
      if (!inTable) {
        body.push('<table>', `<tr>${cells.map((cell) => `<th>${cell}</th>`).join('')}</tr>`);
        inTable = true;
      } else body.push(`<tr>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`);
    } else if (line.trim() !== '') body.push(`<p>${inline(line)}</p>`);
  }
  if (inList) body.push('</ul>');
  if (inTable) body.push('</table>');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>tuneledger audit report</title>
<style>body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em}code{font-size:.85em;word-break:break-all}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}</style>
</head><body>
${body.join('\n')}
</body></html>
`;
}
