// Parsing one manifest file (pure): YAML, then each document validated against the schema.
import { createHash } from 'node:crypto';
import { findForeignFileIssue } from './foreign-file.js';
import { compareIssues, type ManifestIssue } from './issue.js';
import { describeOversizedFile, MAX_MANIFEST_BYTES, type ParsedFile } from './resolve.js';
import { shareDocumentParts, type SharedValues } from './shared-parts.js';
import { validateDocument, type ParsedDocument } from './validate.js';
import { parseYamlText, parseYamlTextFast } from './yaml.js';

/**
 * Parse and validate every document of one file. Pure: the same text always gives the same result.
 * `contentHash` is the text's SHA-256 (hex) when the caller has it already. Files parsed with the same
 * `shared` values share equal strings and parts (a reload passes one for all its files; see shared-parts.ts).
 */
export function parseManifestText(
  file: string,
  text: string,
  contentHash = createHash('sha256').update(text).digest('hex'),
  shared?: SharedValues,
): ParsedFile {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_MANIFEST_BYTES)
    return { file, contentHash, documents: [], issues: [describeOversizedFile(file, bytes)] };
  // Most files take the fast path; any problem at all sends the file through the full parser,
  // so every issue is found and positioned by the same code.
  const fast = parseYamlTextFast(text, shared?.strings);
  if (fast !== undefined) {
    const documents: ParsedDocument[] = [];
    for (const doc of fast) {
      const result = validateDocument(file, doc);
      if (!result.ok) break;
      documents.push(shared ? shareDocumentParts(result.document, shared) : result.document);
    }
    if (documents.length === fast.length) return { file, contentHash, documents, issues: [] };
  }
  const yaml = parseYamlText(text);
  const foreign = yaml.issues.length === 0 ? findForeignFileIssue(file, yaml.documents) : undefined;
  if (foreign !== undefined) return { file, contentHash, documents: [], issues: [foreign] };
  const issues: ManifestIssue[] = yaml.issues.map((issue) => ({ file, ...issue }));
  const documents: ParsedDocument[] = [];
  for (const doc of yaml.documents) {
    const result = validateDocument(file, doc);
    if (result.ok)
      documents.push(shared ? shareDocumentParts(result.document, shared) : result.document);
    else issues.push(...result.issues);
  }
  issues.sort(compareIssues);
  return { file, contentHash, documents, issues };
}
