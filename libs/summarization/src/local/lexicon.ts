// Word lists of the local summarizer: general English, written for chat, not derived from any
// evaluation data. They decide what carries no information (function words), what carries
// little (chit-chat, generic verbs and adjectives) and which words signal tone.

const words = (list: string): ReadonlySet<string> => new Set(list.trim().split(/\s+/));

/** Function words: never content. Lowercase, apostrophes normalised to '. */
export const STOPWORDS = words(`
  a about above across after afterwards again against all almost alone along already also
  although always am among an and another any anybody anyone anything anyway anywhere are
  around as at away be became because become becomes been before behind being below beside
  besides between beyond both but by can cannot could did do does doing done down during each
  either else elsewhere enough etc even ever every everybody everyone everything everywhere
  except few for former from further had has have having he hence her here hers herself him
  himself his how however i if in indeed into is it its itself just last latter least less
  many may me meanwhile might mine more moreover most mostly much must my myself neither never
  nevertheless next no nobody none noone nor not nothing now nowhere of off often on once one
  only onto or other others otherwise our ours ourselves out over own per perhaps quite rather
  same several shall she should since so some somebody someone something sometime sometimes
  somewhat somewhere still such than that the their theirs them themselves then thence there
  thereafter thereby therefore these they this those though through throughout thus to
  together too toward towards under unless until up upon us very via was we well were what
  whatever when whenever where whereas wherever whether which while who whoever whole whom
  whose why will with within without would yet you your yours yourself yourselves
  i'm i've i'd i'll you're you've you'd you'll he's he'd he'll she's she'd she'll it's it'd
  it'll we're we've we'd we'll they're they've they'd they'll that's that'd that'll there's
  there'd there'll here's what's what'd what'll who's who'd who'll where's when's why's how's
  let's isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't won't wouldn't
  shan't shouldn't can't couldn't mustn't mightn't needn't ain't y'all gonna wanna gotta
  im ive id ill youre dont doesnt didnt cant wont isnt arent wasnt werent thats whats lets
  s t d ll m re ve o
`);

/**
 * Words that are content in form but say little in conversation: greetings, thanks,
 * acknowledgements, interjections, intensifiers, evaluative adjectives, very common verbs and
 * vague nouns. A sentence made only of these (and stopwords) is not worth keeping.
 */
export const GENERIC_WORDS = words(`
  hi hello hey heya hiya yo howdy greetings bye goodbye byebye cya ciao cheers farewell
  thanks thank thx ty welcome please pls plz sorry apologies excuse pardon
  ok okay k kk alright allright yes yeah yea yep yup ya no nope nah sure fine right true
  indeed exactly absolutely definitely certainly totally completely literally basically
  actually really truly seriously honestly obviously probably maybe possibly likely
  lol lmao rofl haha hahaha hehe heh ha hah omg wow woah whoa oh ooh ah aah aw aww awww
  oops ugh hmm hm um umm uh uhh er mhm huh yay hooray phew gosh geez jeez damn dang
  good great nice cool awesome amazing wonderful fantastic fabulous brilliant excellent
  superb terrific incredible lovely beautiful gorgeous perfect super neat sweet fun funny
  glad happy sad bad worse worst better best okay interesting exciting impressive special
  pretty quite rather fairly kinda sorta lot lots bit little much many big small huge tiny
  new old real whole same different sure important hard easy tough
  thing things stuff something anything everything nothing way ways time times day days
  moment moments part kind sort type bunch couple piece people person guy guys folks everyone
  get gets getting got gotten go goes going gone went come comes coming came know knows
  knowing knew known think thinks thinking thought feel feels feeling felt see sees seeing saw
  seen look looks looking looked say says saying said tell tells telling told make makes
  making made take takes taking took taken want wants wanting wanted need needs needing needed
  like likes liked love loves loved let lets keep keeps kept try tries trying tried sound
  sounds sounded hear hears hearing heard mean means meant give gives gave given put puts use
  used using find found seem seems seemed guess hope hoped hopes wish wished bet check checked
  talk talking talked chat chatting catch share shared sharing show showed shown start started
  stay stayed glad happen happened happens happening help helped helps means lot wait
  soon later today tonight yesterday tomorrow morning evening night afternoon week weeks
  weekend month months
  year years ago recently lately
  again anyway anyways though although also even ever always never sometimes usually often
  yourself myself everything definitely surely certainly
  mean care cares caring matter matters
  reply message text question answer pic pics picture pictures photo photos snap
  two three four five six seven eight nine ten eleven twelve twenty hundred thousand dozen
  first second third half
`);

/** Leading words and phrases stripped from a sentence before it is kept (not its content). */
export const LEADING_FILLERS = [
  'hey there',
  'hi there',
  'hello there',
  'good morning',
  'good afternoon',
  'good evening',
  'good night',
  'by the way',
  'oh my god',
  'oh my gosh',
  'oh wow',
  'oh no',
  'oh yeah',
  'thank you so much',
  'thank you',
  'thanks so much',
  'thanks a lot',
  'you know what',
  'you know',
  'i mean',
  'well',
  'so',
  'and',
  'but',
  'also',
  'anyway',
  'anyways',
  'btw',
  'hey',
  'hi',
  'hello',
  'wow',
  'whoa',
  'oh',
  'ah',
  'aw',
  'aww',
  'yeah',
  'yes',
  'yep',
  'yup',
  'no',
  'nope',
  'ok',
  'okay',
  'alright',
  'sure',
  'right',
  'haha',
  'hahaha',
  'lol',
  'omg',
  'hmm',
  'um',
  'uh',
  'gosh',
  'cool',
  'great',
  'nice',
  'awesome',
  'amazing',
  'totally',
  'absolutely',
  'definitely',
  'exactly',
  'thanks',
  'congrats',
  'congratulations',
  'sorry',
];

/** Set phrases of politeness and small talk, removed before a sentence's content is judged. */
export const SMALL_TALK_PHRASES = [
  /\b(?:(?:it'?s|it was|so|very|really)\s+)?(?:nice|good|great|lovely)\s+to\s+(?:meet|see|hear from|talk to|chat with)\s+you(?:\s+(?:again|too))?\b/gi,
  /\b(?:see|talk to|speak to|catch)\s+you\s+(?:later|soon|around|then)\b/gi,
  /\btake care\b/gi,
  /\bhave a (?:good|great|nice|lovely) (?:one|day|night|evening|weekend)\b/gi,
  /\bhow (?:are|have) you(?: been| doing)?\b/gi,
  /\bhow'?s it going\b/gi,
  /\bwhat'?s up\b/gi,
  /\bhow about you\b/gi,
  /\blong time no (?:see|talk|chat)\b/gi,
  /\band you\b(?=\s*\?)/gi,
  /\bthank(?:s| you)(?: so much| a lot| again)?(?: for (?:everything|that|this|your help|the help))?\b/gi,
  /\bno problem\b/gi,
  /\byou'?re welcome\b/gi,
  /\bmy pleasure\b/gi,
];

/** Interjection-like first words that are not names even when capitalised. */
export const NOT_NAMES = words(`
  hey hi hello wow oh ah aw yeah yes no ok okay thanks thank please sorry well so and but or
  lol omg haha congrats congratulations dear mr mrs ms dr sir madam mom mum dad mommy daddy
  god gosh jesus lord cool great nice awesome amazing sure right maybe good bad
`);

export { MONTH_NAMES as MONTHS, WEEKDAY_NAMES as WEEKDAYS } from '@memory/contracts';

/** Tone categories with the words (stems by prefix) that signal them. */
export const MOOD_LEXICON: Readonly<Record<string, readonly RegExp[]>> = {
  excited: [/\bexcit/i, /\bthrill/i, /\bcan'?t wait\b/i, /\bstoked\b/i, /\bpumped\b/i],
  grateful: [/\bgrateful\b/i, /\bthankful\b/i, /\bappreciat/i, /\bthank(s| you)\b/i],
  positive: [
    /\bhapp(y|ier|iest)\b/i,
    /\bglad\b/i,
    /\blove(d|ly)?\b/i,
    /\bawesome\b/i,
    /\bamazing\b/i,
    /\bwonderful\b/i,
    /\bfantastic\b/i,
    /\bproud\b/i,
    /\benjoy/i,
    /\bgreat\b/i,
  ],
  frustrated: [
    /\bfrustrat/i,
    /\bannoy/i,
    /\bangry\b/i,
    /\bfurious\b/i,
    /\bridiculous\b/i,
    /\bunacceptable\b/i,
    /\bfed up\b/i,
    /\bstill (not|doesn'?t|isn'?t|broken)\b/i,
    /\bwaste of time\b/i,
    /\buseless\b/i,
  ],
  worried: [
    /\bworr(y|ied|ies|ying)\b/i,
    /\banxi(ous|ety)\b/i,
    /\bnervous\b/i,
    /\bafraid\b/i,
    /\bscared\b/i,
    /\bconcern(ed)?\b/i,
    /\bstress(ed|ful)?\b/i,
  ],
  sad: [
    /\bsad(ly|ness)?\b/i,
    /\bupset\b/i,
    /\bdisappoint/i,
    /\blonely\b/i,
    /\bdepress/i,
    /\bheartbroken\b/i,
    /\bcry(ing)?\b/i,
    /\bgrie(f|ving)\b/i,
  ],
};

export const POSITIVE_MOODS = ['positive', 'excited', 'grateful'] as const;
export const NEGATIVE_MOODS = ['frustrated', 'worried', 'sad'] as const;
