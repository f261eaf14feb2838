// Parse Adaptive Cards with Microsoft's `adaptivecards` library (no DOM needed for parsing) and print
// every parse event and validation issue as JSON. Input: a JSON array of cards on stdin.
const AC = require("adaptivecards/dist/adaptivecards.js"); // the UMD build: lib/ is ESM without file extensions

const cards = JSON.parse(require("fs").readFileSync(0, "utf8"));
const results = cards.map((json) => {
  const context = new AC.SerializationContext();
  const card = new AC.AdaptiveCard();
  card.parse(json, context);
  const events = [];
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    events.push({ phase: e.phase, event: e.event, message: e.message });
  }
  const issues = card.validateProperties().validationEvents.map((i) => ({ event: i.event, message: i.message }));
  return { version: card.version ? card.version.toString() : null, bodyItems: card.getItemCount(), events, issues };
});
process.stdout.write(JSON.stringify(results));
