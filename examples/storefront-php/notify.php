<?php
// The shop's endpoint for syncd's order notifications (SYNCD_NOTIFY_URL).
// syncd POSTs the order as JSON each time its status changes, signed with
// SYNCD_NOTIFY_SECRET, and sends it again until it gets a 2xx. So this
// page verifies the signature over the raw body before believing it
// (401 otherwise), takes each delivery once (X-Syncd-Delivery), and
// answers 204. Here it files each verified order in a spool directory
// that storefront.php reads; a real shop updates its own order there.
//
// Served by PHP's built-in server in the example:
//   NOTIFY_SECRET=... NOTIFY_SPOOL=/tmp/spool php -S 127.0.0.1:8090 notify.php

declare(strict_types=1);

require __DIR__ . '/syncd.php';

$secret = (string) getenv('NOTIFY_SECRET');
$spool = (string) getenv('NOTIFY_SPOOL');

if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST') {
    http_response_code(405);
    exit;
}
$body = (string) file_get_contents('php://input', false, null, 0, 64 << 10);
$signature = (string) ($_SERVER['HTTP_X_SYNCD_SIGNATURE'] ?? '');
if ($secret === '' || !syncd_signature_valid($secret, $body, $signature)) {
    error_log('notification refused: bad signature');
    http_response_code(401);
    exit;
}
if (($_SERVER['HTTP_X_SYNCD_EVENT'] ?? '') !== 'order.status') {
    http_response_code(204); // an event this shop does not follow
    exit;
}
$delivery = (string) ($_SERVER['HTTP_X_SYNCD_DELIVERY'] ?? '');
$order = json_decode($body, true);
if (!preg_match('/^[A-Za-z0-9_]{1,64}$/', $delivery) || !is_array($order) || !isset($order['id'])) {
    http_response_code(400);
    exit;
}
// Mode x creates the file only if it is new: a delivery sent again (syncd
// delivers at least once) is answered 204 and not filed twice.
$f = @fopen("$spool/$delivery.json", 'x');
if ($f !== false) {
    fwrite($f, $body);
    fclose($f);
    error_log(sprintf('notification %s: order %s (%s) is %s', $delivery, $order['id'], $order['reference'] ?? '', $order['status'] ?? ''));
}
http_response_code(204);
