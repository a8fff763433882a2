import type { PolicyInput } from './types';

/**
 * The CEL variables for one evaluation, built once and shared by every rule. A class gives every activation
 * the same shape (fast property reads in cel-js); `now` is read from the clock only if a condition uses it.
 */
export class Activation {
  readonly action: string;
  readonly resource: string;
  readonly environment: string;
  readonly params: Record<string, unknown>;
  readonly context: Record<string, unknown>;
  readonly requester: PolicyInput['requester'];
  readonly onBehalfOf: string | null;
  readonly justification: string;
  readonly breakGlass: boolean;
  private at: Date | undefined;

  constructor(input: PolicyInput) {
    this.action = input.action;
    this.resource = input.resource ?? '';
    this.environment = input.environment ?? '';
    this.params = input.params ?? {};
    this.context = input.context ?? {};
    this.requester = input.requester;
    this.onBehalfOf = input.onBehalfOf ?? null;
    this.justification = input.justification ?? '';
    this.breakGlass = input.breakGlass ?? false;
    this.at = input.now;
  }

  get now(): Date {
    return (this.at ??= new Date());
  }
}
