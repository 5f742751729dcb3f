<?php
// A small client for syncd's storefront API: plain PHP and curl, nothing
// to install but php-cli and php-curl. Amounts are whole rupiah and arrive
// as JSON integers, which json_decode gives as PHP ints: never floats.

declare(strict_types=1);

// SyncdError is syncd's error envelope, {"error": {"code", "message",
// "details"}}, with the HTTP status and the request id syncd logged it
// under (quote it when reporting a problem).
final class SyncdError extends RuntimeException
{
    public function __construct(
        public readonly int $status,
        public readonly string $errorCode,
        string $message,
        public readonly array $details = [],
        public readonly string $requestId = '',
    ) {
        parent::__construct(sprintf('HTTP %d %s: %s (request %s)', $status, $errorCode, $message, $requestId));
    }
}

// SyncdResponse is one answer: its status, headers (lower-case names) and
// decoded JSON body (null for none, such as a 304).
final class SyncdResponse
{
    public function __construct(
        public readonly int $status,
        public readonly array $headers,
        public readonly ?array $body,
    ) {
    }

    public function header(string $name): string
    {
        return $this->headers[strtolower($name)] ?? '';
    }
}

final class SyncdClient
{
    public function __construct(
        private readonly string $base,
        private readonly string $token,
        private readonly int $timeout = 15,
    ) {
    }

    // get reads a path; with an ETag in $etag a 304 comes back as a
    // response without a body. Any 4xx or 5xx is a SyncdError.
    public function get(string $path, array $query = [], string $etag = ''): SyncdResponse
    {
        if ($query) {
            $path .= '?' . http_build_query($query);
        }
        $headers = $etag !== '' ? ['If-None-Match: ' . $etag] : [];
        return $this->send('GET', $path, null, $headers);
    }

    public function post(string $path, array $body): SyncdResponse
    {
        return $this->send('POST', $path, json_encode($body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES), ['Content-Type: application/json']);
    }

    private function send(string $method, string $path, ?string $body, array $headers): SyncdResponse
    {
        $ch = curl_init($this->base . $path);
        $got = [];
        curl_setopt_array($ch, [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT => $this->timeout,
            CURLOPT_ENCODING => '', // accept gzip: syncd compresses large catalog bodies
            CURLOPT_HTTPHEADER => array_merge(['Authorization: Bearer ' . $this->token, 'Accept: application/json'], $headers),
            CURLOPT_HEADERFUNCTION => function ($ch, string $line) use (&$got): int {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $got[strtolower(trim($parts[0]))] = trim($parts[1]);
                }
                return strlen($line);
            },
        ]);
        if ($body !== null) {
            curl_setopt($ch, CURLOPT_POSTFIELDS, $body);
        }
        $raw = curl_exec($ch);
        if ($raw === false) {
            $err = curl_error($ch);
            curl_close($ch);
            // No answer: the request may or may not have arrived.
            throw new RuntimeException("$method $path: $err");
        }
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        curl_close($ch);
        $decoded = $raw === '' ? null : json_decode($raw, true);
        if ($status >= 400) {
            $e = is_array($decoded) ? ($decoded['error'] ?? []) : [];
            throw new SyncdError(
                $status,
                (string) ($e['code'] ?? 'unexpected'),
                (string) ($e['message'] ?? substr($raw, 0, 200)),
                (array) ($e['details'] ?? []),
                $got['x-request-id'] ?? '',
            );
        }
        return new SyncdResponse($status, $got, is_array($decoded) ? $decoded : null);
    }
}

// syncd_signature_valid checks X-Syncd-Signature: "sha256=" and the hex
// HMAC-SHA256 of the exact body received under SYNCD_NOTIFY_SECRET,
// compared in constant time with hash_equals (never ==).
function syncd_signature_valid(string $secret, string $body, string $header): bool
{
    if (!str_starts_with($header, 'sha256=')) {
        return false;
    }
    $expected = 'sha256=' . hash_hmac('sha256', $body, $secret);
    return hash_equals($expected, $header);
}
