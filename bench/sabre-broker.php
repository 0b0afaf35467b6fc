<?php
// The side-by-side reference of the engine benchmark: sabre/vobject's
// ITip\Broker::processMessage on the same message texts as our engine, against
// the same stored texts, timed in this process with hrtime.
//
// For each message: parse the iTIP message (Reader::read), build the
// ITip\Message from its VCALENDAR as a CalDAV server does for a scheduling
// inbox delivery (RFC 6638 section 3.2), parse the stored object if there is
// one (a REQUEST at an attendee without one gets null), processMessage, and
// serialise the object it returns. That is what bench/engine.mjs times on our
// side: parse, schedule against the stored text, serialise.
//
// Sabre is not part of this repository: SABRE_VOBJECT names a checkout of
// sabre-io/vobject; sabre-io/xml and sabre-io/uri are looked for beside it
// (SABRE_XML, SABRE_URI override). Classes load through the autoloader below,
// as composer.json maps them (PSR-4, and the `files` entries), without composer.
//
// Two ways to run it:
//   php bench/sabre-broker.php [FILE]   FILE (or stdin) holds a JSON list of
//       {label, ics, existing, recipient}; prints per-label medians (ms) as JSON.
//   php bench/sabre-broker.php --serve  JSON lines on stdin: {"load": [...]} then
//       any number of {"run": [indices]}; answers one JSON line each (bench/engine.mjs).

declare(strict_types=1);

$vobject = getenv('SABRE_VOBJECT');
if (!$vobject || !is_dir("$vobject/lib")) {
    fwrite(STDERR, "SABRE_VOBJECT must name a checkout of https://github.com/sabre-io/vobject (see bench/README.md)\n");
    exit(64);
}
$roots = [
    'Sabre\\VObject\\' => "$vobject/lib/",
    'Sabre\\Xml\\' => (getenv('SABRE_XML') ?: dirname($vobject) . '/xml') . '/lib/',
    'Sabre\\Uri\\' => (getenv('SABRE_URI') ?: dirname($vobject) . '/uri') . '/lib/',
];
foreach ($roots as $prefix => $base) {
    if (!is_dir($base)) {
        fwrite(STDERR, "$base is missing: sabre/vobject needs sabre/xml and sabre/uri beside it (see bench/README.md)\n");
        exit(64);
    }
}
spl_autoload_register(function (string $class) use ($roots): void {
    foreach ($roots as $prefix => $base) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = $base . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
require $roots['Sabre\\Xml\\'] . 'Deserializer/functions.php';
require $roots['Sabre\\Xml\\'] . 'Serializer/functions.php';
require $roots['Sabre\\Uri\\'] . 'functions.php';

use Sabre\VObject\Component\VCalendar;
use Sabre\VObject\ITip\Broker;
use Sabre\VObject\ITip\Message;
use Sabre\VObject\Reader;

/** One message: parse, processMessage, serialise. Returns the serialised result ('' for none). */
function processOne(Broker $broker, array $m): string
{
    $calendar = Reader::read($m['ics']);
    $method = strtoupper((string) $calendar->METHOD);
    $first = $calendar->VEVENT;
    $message = new Message();
    $message->uid = (string) $first->UID;
    $message->component = 'VEVENT';
    $message->method = $method;
    $message->sequence = isset($first->SEQUENCE) ? (int) $first->SEQUENCE->getValue() : 0;
    // A REPLY speaks for its ATTENDEE, the other methods for the ORGANIZER (RFC 5546 section 1.4).
    $who = $method === 'REPLY' ? $first->ATTENDEE : $first->ORGANIZER;
    $message->sender = $who ? $who->getValue() : '';
    $message->senderName = $who && isset($who['CN']) ? (string) $who['CN'] : null;
    $message->recipient = $m['recipient'];
    $message->recipientName = null;
    $message->message = $calendar;
    $existing = $m['existing'] === null ? null : Reader::read($m['existing']);
    $result = $broker->processMessage($message, $existing);
    return $result instanceof VCalendar ? $result->serialize() : '';
}

/** What sabre made of a message, for the report: an object, nothing, or the error. */
function outcomeOf(Broker $broker, array $m): string
{
    try {
        return processOne($broker, $m) === '' ? 'no object' : 'object';
    } catch (Throwable $error) {
        return 'error: ' . get_class($error) . ': ' . $error->getMessage();
    }
}

/** Milliseconds of one message; an error costs what it cost up to the throw. */
function timeOne(Broker $broker, array $m): int
{
    $start = hrtime(true);
    try {
        processOne($broker, $m);
    } catch (Throwable $error) {
        // Counted in the outcomes; the time up to the error stands.
    }
    return hrtime(true) - $start;
}

$broker = new Broker();

if (($argv[1] ?? '') === '--serve') {
    $messages = [];
    while (($line = fgets(STDIN)) !== false) {
        $command = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
        if (isset($command['load'])) {
            $messages = $command['load'];
            $outcomes = [];
            foreach ($messages as $m) {
                $key = $m['label'] . ': ' . outcomeOf($broker, $m);
                $outcomes[$key] = ($outcomes[$key] ?? 0) + 1;
            }
            $answer = ['loaded' => count($messages), 'outcomes' => $outcomes, 'php' => PHP_VERSION];
        } else {
            $answer = ['ns' => array_map(fn (int $i): int => timeOne($broker, $messages[$i]), $command['run'])];
        }
        fwrite(STDOUT, json_encode($answer) . "\n");
        fflush(STDOUT);
    }
    exit(0);
}

$messages = json_decode(file_get_contents($argv[1] ?? 'php://stdin'), true, 512, JSON_THROW_ON_ERROR);
$times = [];
for ($round = -2; $round < 10; $round++) {
    foreach ($messages as $i => $m) {
        $ns = timeOne($broker, $m);
        if ($round >= 0) {
            $times[$i][] = $ns;
        }
    }
}
$median = function (array $values): float {
    sort($values);
    $n = count($values);
    return $n % 2 ? $values[intdiv($n, 2)] : ($values[$n / 2 - 1] + $values[$n / 2]) / 2;
};
$perLabel = [];
foreach ($messages as $i => $m) {
    $perLabel[$m['label']][] = $median($times[$i]) / 1e6;
}
$report = [];
foreach ($perLabel as $label => $ms) {
    $report[$label] = ['messages' => count($ms), 'meanOfMediansMs' => array_sum($ms) / count($ms)];
}
echo json_encode($report, JSON_PRETTY_PRINT), "\n";
