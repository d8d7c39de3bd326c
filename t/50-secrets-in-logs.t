#!/usr/bin/perl
# Secrets that v1 clients put in query strings (seeds/003: passwords,
# codes, tokens, open ids) reach no log: not featcgi's access log, not
# nginx's access log, and not nginx's error log even when the upstream is
# down and nginx logs the failed request.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use FeatTest;

my $t = FeatTest->new();
my $secret = 'Sekr3t' . join('', map { int(rand(10)) } 1 .. 8);
my @paths = (
    "/api/get_token?account=13800000001&password=$secret",
    "/api/get_token?account=13800000001&verify_code=$secret",
    "/api/get_token_by_open?open_id=$secret&open_type=1",
    "/api/get_verify_code?account=13800000001&x=$secret",
    "/sds_check_token?token=$secret",
);

# answered by featcgi
for my $p (@paths) {
    my ($st) = $t->get($p);
    is($st, 200, "featcgi answers $p");
}

# the pool is gone: nginx fails each request and logs the failure
$t->signal('TERM');
ok(defined $t->wait_exit(30), 'featcgi stopped');
for my $p (@paths) {
    my ($st) = $t->get($p);
    is($st, 502, "nginx answers 502 for $p with the pool down");
}

# an unrelated path's upstream failure is still logged, query and all, so
# the test knows the error log works
my ($st) = $t->get("/api/personal/info?marker=$secret-ok");
is($st, 502, 'a path without secrets: 502 too');

my %logs = map { $_ => FeatTest::_slurp($t->dir . "/log/$_") }
    qw(featcgi-access.log featcgi-error.log nginx-access.log
       nginx-error.log);
like($logs{'nginx-error.log'}, qr/\Q$secret-ok\E/,
    "nginx's error log records other paths' failures");
for my $f (sort keys %logs) {
    my $n = () = $logs{$f} =~ /\Q$secret\E(?!-ok)/g;
    is($n, 0, "$f holds no secret from a v1 query string");
}
like($logs{'nginx-access.log'}, qr{/api/get_token }, 'the access log has the paths');

$t->stop;
done_testing();
