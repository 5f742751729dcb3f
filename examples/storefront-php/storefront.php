<?php
// A storefront's backend talking to syncd, in plain PHP with curl: list
// the games, read one and its order form, order an item at the price shown
// to the buyer, re-read and ask the buyer again on 409 price_changed,
// follow the order to its end, and take syncd's signed notifications
// (notify.php, served here by PHP's built-in server) verifying each
// signature. examples/run.sh runs it against syncd demo; see README.md.
//
//   php storefront.php --syncd=http://127.0.0.1:8080 --token=$SHOP \
//       --listen=127.0.0.1:8090 --notify-secret=$SYNCD_NOTIFY_SECRET

declare(strict_types=1);

require __DIR__ . '/syncd.php';

function say(string $format, ...$args): void
{
    fwrite(STDERR, 'storefront-php: ' . vsprintf($format, $args) . "\n");
}

function fail(string $format, ...$args): never
{
    say($format, ...$args);
    exit(1);
}

$opt = getopt('', ['syncd:', 'token:', 'tier:', 'game:', 'listen:', 'notify-secret:', 'reference:', 'stale-price', 'timeout:']);
$base = $opt['syncd'] ?? (string) getenv('SYNCD_URL');
$token = $opt['token'] ?? (string) getenv('SYNCD_TOKEN');
$tier = $opt['tier'] ?? 'public';
$gameId = $opt['game'] ?? 'mobile-legends';
$listen = $opt['listen'] ?? (string) getenv('NOTIFY_LISTEN');
$secret = $opt['notify-secret'] ?? (string) getenv('SYNCD_NOTIFY_SECRET');
$reference = $opt['reference'] ?? 'php-' . gmdate('Ymd\THis') . '-' . bin2hex(random_bytes(3));
$stalePrice = isset($opt['stale-price']);
$deadline = time() + (int) ($opt['timeout'] ?? 120);
if ($base === '' || $token === '') {
    fail('--syncd and --token (or SYNCD_URL and SYNCD_TOKEN) are required');
}
if ($listen !== '' && $secret === '') {
    fail('--notify-secret is required with --listen: an unsigned notification proves nothing');
}

// The notification endpoint: notify.php under PHP's built-in server,
// filing verified notifications in a spool directory.
$spool = null;
$server = null;
if ($listen !== '') {
    $spool = sys_get_temp_dir() . '/syncd-notify-' . bin2hex(random_bytes(4));
    mkdir($spool, 0700);
    $server = proc_open(
        [PHP_BINARY, '-q', '-S', $listen, __DIR__ . '/notify.php'],
        [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => STDERR],
        $pipes,
        __DIR__,
        array_merge(getenv(), ['NOTIFY_SECRET' => $secret, 'NOTIFY_SPOOL' => $spool]),
    );
    register_shutdown_function(function () use ($server, $spool): void {
        proc_terminate($server);
        proc_close($server);
        array_map('unlink', glob("$spool/*.json") ?: []);
        @rmdir($spool);
    });
    [$host, $port] = explode(':', $listen);
    for ($i = 0; @fsockopen($host, (int) $port) === false; $i++) {
        if ($i > 50) {
            fail('notification endpoint on %s did not start', $listen);
        }
        usleep(100_000);
    }
    say('taking notifications on http://%s', $listen);
}

$api = new SyncdClient($base, $token);

try {
    // The home page: every game with its lowest price.
    foreach ($api->get('/v1/games', ['tier' => $tier])->body['games'] as $g) {
        say('game %-24s %3d/%3d items available, %s', $g['id'], $g['available_count'], $g['item_count'],
            $g['lowest_price'] === null ? 'nothing available' : 'from Rp ' . $g['lowest_price']);
    }

    // A game page, then the same read as a cache does it: with the ETag,
    // a 304 and no body unless the catalog changed meanwhile.
    $resp = $api->get("/v1/games/$gameId", ['tier' => $tier]);
    $game = $resp->body['game'];
    $etag = $resp->header('ETag');
    say('game %s: %d items, a form of %d fields, ETag %s', $game['id'], count($game['items']), count($game['form']), $etag);
    $again = $api->get("/v1/games/$gameId", ['tier' => $tier], $etag);
    if ($again->status === 304) {
        say('game %s again with If-None-Match: 304, the cached copy is current', $gameId);
    } else {
        say('game %s again: changed since (ETag %s), using the new copy', $gameId, $again->header('ETag'));
        $game = $again->body['game'];
    }

    // Items come cheapest first, unavailable last.
    $item = null;
    foreach ($game['items'] as $it) {
        if ($it['available'] && $it['price'] !== null) {
            $item = $it;
            break;
        }
    }
    if ($item === null) {
        fail('game %s has nothing to sell now', $gameId);
    }
    $shown = $item['price'];
    say('showing the buyer %s at Rp %d', $item['name'], $shown);
    if ($stalePrice) {
        $shown--;
        say('(--stale-price: the page the buyer saw said Rp %d)', $shown);
    }

    // The buyer's answers to the game's form: a real shop sends what the
    // buyer typed and picked.
    $fields = [];
    foreach ($game['form'] as $f) {
        $fields[$f['key']] = match (true) {
            $f['type'] === 'dropdown' && !empty($f['options']) => $f['options'][0]['code'],
            $f['key'] === 'server' => '2001',
            default => '12345678',
        };
    }

    $request = ['reference' => $reference, 'item' => $item['id'], 'tier' => $tier, 'fields' => $fields, 'expected_price' => $shown];
    $order = place($api, $request, $deadline);
    $request['expected_price'] = $order['price'];

    // Sent again, as a shop does when it cannot tell whether its first try
    // arrived: the same reference and body is the same order, bought once.
    $replay = $api->post('/v1/orders', $request);
    if ($replay->status !== 200 || $replay->body['id'] !== $order['id']) {
        fail('replay of %s: got %d %s, want 200 with order %s', $reference, $replay->status, $replay->body['id'] ?? '', $order['id']);
    }
    say('order %s sent again: 200, the same order %s, nothing bought twice', $reference, $order['id']);

    // Follow it to its end: every second at first, backing off to 10 s.
    // attention is not an end: an operator settles it.
    $wait = 1.0;
    while (!in_array($order['status'], ['success', 'failed'], true)) {
        if (time() > $deadline) {
            fail('order %s still %s: gave up waiting', $order['id'], $order['status']);
        }
        usleep((int) ($wait * 1e6));
        $wait = min($wait * 1.5, 10.0);
        $now = $api->get('/v1/orders/' . rawurlencode($order['id']))->body;
        if ($now['status'] !== $order['status']) {
            say('order %s: %s', $order['id'], $now['status']);
        }
        $order = $now;
    }

    if ($spool !== null) {
        $n = wait_notification($spool, $order['id'], $order['status'], $deadline);
        say('notification %s verified: order %s %s (version %d)', $n['delivery'], $n['order']['id'], $n['order']['status'], $n['order']['version']);
    }
} catch (SyncdError $e) {
    fail('%s', $e->getMessage());
}

if ($order['status'] !== 'success') {
    // A real shop refunds the buyer here, with the reason.
    fail('order %s ended %s: %s', $order['id'], $order['status'], $order['reason'] ?? '');
}
say('done: order %s delivered by %s', $order['id'], $order['supplier'] ?? '');
if (isset($order['sn'])) {
    say("the supplier's serial, to show the buyer: %s", $order['sn']);
}

// place sends the order. On 409 price_changed nothing was bought and the
// reference is still free: re-read the item, show the buyer the new price
// and, once the buyer agrees (here: always), ask again under the same
// reference. A network failure, 429 or 503 is retried with the same
// reference and body, which syncd answers with the order it already took,
// if it took one: never a second purchase.
function place(SyncdClient $api, array $request, int $deadline): array
{
    for ($attempt = 1; $attempt <= 5 && time() <= $deadline; $attempt++) {
        try {
            $resp = $api->post('/v1/orders', $request);
            $o = $resp->body;
            say($resp->status === 201 ? 'order %s placed: %s, %s at Rp %d' : 'order %s was already placed: %s, %s at Rp %d',
                $request['reference'], $o['id'], $o['status'], $o['price']);
            return $o;
        } catch (SyncdError $e) {
            if ($e->errorCode === 'price_changed') {
                $item = $api->get('/v1/items/' . rawurlencode($request['item']), ['tier' => $request['tier']])->body['item'];
                if ($item['price'] === null) {
                    fail('order %s: %s is no longer for sale', $request['reference'], $item['name']);
                }
                say('order %s: 409 price_changed (%s); the buyer now sees Rp %d and agrees', $request['reference'], $e->getMessage(), $item['price']);
                $request['expected_price'] = $item['price'];
                continue;
            }
            if ($e->status !== 429 && $e->status !== 503) {
                // item_unavailable, reference_conflict, validation, auth:
                // the same request cannot succeed.
                throw $e;
            }
            say('order %s: %s; trying again shortly', $request['reference'], $e->getMessage());
        } catch (RuntimeException $e) {
            say('order %s: %s; sending the same request again', $request['reference'], $e->getMessage());
        }
        sleep($attempt);
    }
    fail('order %s: still refused after %d tries', $request['reference'], $attempt - 1);
}

// wait_notification returns the verified notification saying order $id is
// $status, once notify.php has filed it. Of several for one order the
// highest version is the latest: a retried delivery may come after a newer
// one.
function wait_notification(string $spool, string $id, string $status, int $deadline): array
{
    while (time() <= $deadline) {
        $latest = null;
        foreach (glob("$spool/*.json") ?: [] as $file) {
            $o = json_decode((string) file_get_contents($file), true);
            if (!is_array($o) || ($o['id'] ?? '') !== $id) {
                continue; // another order's, or still being written
            }
            if ($latest === null || $o['version'] > $latest['order']['version']) {
                $latest = ['delivery' => basename($file, '.json'), 'order' => $o];
            }
        }
        if ($latest !== null && $latest['order']['status'] === $status) {
            return $latest;
        }
        usleep(200_000);
    }
    fail('notification of order %s %s: gave up waiting', $id, $status);
}
