import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The five Keyword search attributes SREs filter on in Temporal UI; upserted on every status change. */
export const SearchAttributes = {
  action: defineSearchAttributeKey('InterlockAction', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('InterlockStatus', SearchAttributeType.KEYWORD),
  requester: defineSearchAttributeKey('InterlockRequester', SearchAttributeType.KEYWORD),
  environment: defineSearchAttributeKey('InterlockEnvironment', SearchAttributeType.KEYWORD),
  risk: defineSearchAttributeKey('InterlockRisk', SearchAttributeType.KEYWORD),
} as const;

export const SEARCH_ATTRIBUTE_NAMES = Object.values(SearchAttributes).map((k) => k.name);
