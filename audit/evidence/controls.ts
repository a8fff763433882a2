/** A compliance control the evidence summary reports on. */
export interface Control {
  /** Canonical id, as policies should write it: "SOC2:CC6.1", "ISO27001:A.8.2", "NIST800-53:AC-6". */
  id: string;
  title: string;
  /**
   * Set for controls the platform itself evidences for every action, whatever the policy tags: what the
   * trail shows. The others are evidenced by the actions whose policy decision named them.
   */
  platform?: string;
}

const TRAIL = 'every step of every action is an event in the hash-chained, append-only trail; the chain and its signed checkpoints verify (below)';

/** The controls an auditor asks about first; any other control a policy names is reported too. */
export const CONTROLS: Control[] = [
  { id: 'SOC2:CC6.1', title: 'Logical access security over protected information assets' },
  { id: 'SOC2:CC6.2', title: 'Access is authorised before it is granted' },
  { id: 'SOC2:CC6.3', title: 'Access is granted, changed and removed by role, with least privilege and segregation of duties' },
  { id: 'SOC2:CC7.2', title: 'System components are monitored for anomalies' },
  { id: 'SOC2:CC8.1', title: 'Changes are authorised, approved and implemented under control' },
  { id: 'ISO27001:A.5.15', title: 'Access control' },
  { id: 'ISO27001:A.5.18', title: 'Access rights' },
  { id: 'ISO27001:A.8.2', title: 'Privileged access rights' },
  { id: 'ISO27001:A.8.15', title: 'Logging', platform: TRAIL },
  { id: 'ISO27001:A.8.32', title: 'Change management' },
  { id: 'NIST800-53:AC-3', title: 'Access enforcement' },
  { id: 'NIST800-53:AC-5', title: 'Separation of duties', platform: 'every approval decision is checked against the requester and the on-behalf-of principal (the separation-of-duties section lists any exception)' },
  { id: 'NIST800-53:AC-6', title: 'Least privilege' },
  { id: 'NIST800-53:AU-2', title: 'Event logging', platform: TRAIL },
  { id: 'NIST800-53:AU-9', title: 'Protection of audit information', platform: 'the trail is append-only in the database (triggers), the application role may only insert and read it, and the hash chain reveals any change' },
  { id: 'NIST800-53:AU-10', title: 'Non-repudiation', platform: 'each event names the authenticated principal that caused it, and the chain head is signed (Ed25519) by checkpoints an auditor verifies with the public key alone' },
  { id: 'NIST800-53:CM-3', title: 'Configuration change control' },
  { id: 'NIST800-53:CM-5', title: 'Access restrictions for change' },
];

const FRAMEWORKS: [RegExp, string][] = [
  [/^soc\s*-?\s*2$/i, 'SOC2'],
  [/^iso\s*-?\s*(27001)?(\s*:?\s*2022)?$/i, 'ISO27001'],
  [/^nist(\s*-?\s*(sp)?\s*-?\s*800\s*-?\s*53)?(\s*r(ev)?\s*\d)?$/i, 'NIST800-53'],
];

/**
 * One spelling per control, so "SOC 2:CC6.1", "soc2:cc6.1" and "ISO27001:2022:A.8.2" count together.
 * A control whose framework is not recognised is kept as written.
 */
export function normaliseControl(raw: string): string {
  const text = raw.trim();
  const at = text.lastIndexOf(':');
  if (at <= 0) return text;
  const framework = text.slice(0, at).trim();
  const id = text.slice(at + 1).trim().toUpperCase();
  const known = FRAMEWORKS.find(([pattern]) => pattern.test(framework));
  return known ? `${known[1]}:${id}` : text;
}
