// Pattern-based extraction of the local summarizer: entities, dates, numbers, and whether a
// sentence states a decision, a commitment or a question. General English rules only.
export { Span } from './span';
export { findDates, formatDay, resolveRelativeDate } from './dates';
export { findNumbers } from './numbers';
export { EntityContext, findEntities } from './entities';
export { findPhrases, Phrase } from './phrases';
export {
  isFirstPerson,
  isFirstPersonEvent,
  isReaction,
  moodsOf,
  opensLikeAnswer,
  sentenceKind,
  SentenceKind,
} from './sentence-kinds';
