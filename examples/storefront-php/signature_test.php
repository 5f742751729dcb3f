<?php
// Checks syncd_signature_valid: it accepts syncd's signature of a body and
// nothing else. The signature is what syncd's outbox sends for this body
// under the secret "s3cret" (orders.Sign). Run: php signature_test.php

declare(strict_types=1);

require __DIR__ . '/syncd.php';

$body = '{"id":"ord_1","status":"success"}';
$sig = 'sha256=9c4a85ff63a6ec2907779b01b5030cfcaa48c87c24d94b836ca9bf1dcc7c136e';
$cases = [
    ["syncd's signature", 's3cret', $body, $sig, true],
    ['another secret', 'other', $body, $sig, false],
    ['a changed body', 's3cret', '{"id":"ord_1","status":"failed"}', $sig, false],
    ['no prefix', 's3cret', $body, substr($sig, 7), false],
    ['upper-case hex', 's3cret', $body, strtoupper($sig), false],
    ['missing', 's3cret', $body, '', false],
];
$failed = 0;
foreach ($cases as [$name, $secret, $b, $header, $want]) {
    $got = syncd_signature_valid($secret, $b, $header);
    if ($got !== $want) {
        fwrite(STDERR, sprintf("%s: got %s, want %s\n", $name, var_export($got, true), var_export($want, true)));
        $failed++;
    }
}
printf("signature_test.php: %d of %d cases as expected\n", count($cases) - $failed, count($cases));
exit($failed === 0 ? 0 : 1);
