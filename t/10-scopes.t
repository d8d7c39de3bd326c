#!/usr/bin/perl

# 10-scopes.t: a token's scopes apply on every route that takes it, v2 and
# feat alike (issue 12, finding 1).  A read-only OAuth2 token is sent to
# every write route of the merged route table ("featcgi -R": v2 and feat,
# flagged session, not GET) and is refused in the route's dialect (v2
# 10003, feat 403 insufficient_scope) with nothing stored: every table
# reads the same afterwards and no file appeared in media.  The same token
# reads; a write-only token does not; a login's session (the app's
# default_scopes) writes; destroy_token needs no scope.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Digest::SHA qw(sha256_hex);
use File::Find;
use MIME::Base64 qw(encode_base64);
use FeatTest;
use Test::More;

my $t = FeatTest->new('code.resend_interval' => 0);
my $JSON = FeatTest::json();
my ($st, $h, $j);

my $PHONE = '13700000077';
my $PASS = 'scope-pass-1';
my $reg = $t->register_v2($PHONE, $PASS);
my $full = $reg->{access_token};

my ($rc, $out, $err) = $t->featctl('--json', 'oauth-client', 'add', 'ro',
    '--grants', 'password', '--scopes', 'read write');
die "oauth-client add: $err" if $rc != 0;
my $client = $JSON->decode($out);

sub token_of_scope {
    my ($scope) = @_;
    my ($s, undef, $d) = $t->post('/o/token/',
        "grant_type=password&username=$PHONE&password=$PASS&scope=$scope&device_id=dev-$scope",
        { 'Content-Type' => 'application/x-www-form-urlencoded',
          Authorization => 'Basic ' . encode_base64(
              "$client->{client_id}:$client->{client_secret}", '') });
    die "token: $s " . $JSON->encode($d) if $s != 200;
    return $d->{access_token};
}

my $ro = token_of_scope('read');
my $wo = token_of_scope('write');

# Objects for the {id} routes to find: a feedback, a service project.
($st, $h, $j) = $t->post('/api/feedback',
    { feedback_content => 'first feedback' },
    { -token => $full });
is($j->{code}, 0, 'a feedback with the login\'s token: 0');
my $fid = $t->db_value('SELECT max(id) FROM feedback');
($st, $h, $j) = $t->post('/api/service/project/',
    { title => 'a project', description => 'to be done', category => 'design',
      budget_fen => 10000, close_at => '2099-01-01T00:00:00+08:00' },
    { Authorization => "Token $full" });
is($st, 201, 'a project with the login\'s token: 201');
my $pid = $t->db_value('SELECT max(id) FROM service_project');

# Every table's rows, and media's files, as one digest.
sub snapshot {
    my $dbh = $t->dbh;
    my @tables = @{ $dbh->selectcol_arrayref(q{SELECT name FROM sqlite_master
        WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name}) };
    my $d = Digest::SHA->new(256);
    for my $tb (@tables) {
        my $rows = $dbh->selectall_arrayref(qq{SELECT * FROM "$tb"});
        $d->add($tb, $JSON->canonical->encode(
            [ sort { $a cmp $b } map { $JSON->encode($_) } @$rows ]));
    }
    my @files;
    find(sub { push @files, $File::Find::name if -f }, $t->dir . '/media');
    $d->add(join("\n", sort @files));
    return $d->hexdigest;
}

# A body a handler would take, for every write route.
my %body = (
    nickname => 'changed', feedback_content => 'scoped out',
    title => 'scoped', description => 'scoped out', category => 'design',
    budget_fen => 100, price_fen => 100, message => 'a bid', client_id => 'cid-1',
    device_token => 'ab' x 32, switch => 0, product_id => 1, quantity => 1,
    method => 'weixin', order_id => 1, bid_id => 1, auth_code => 'x',
    ids => [1], push_switch => 0, close_at => '2099-01-01T00:00:00+08:00',
);

my @routes = map { [ split ' ' ] }
    grep { /^[A-Z]+ \// } split /\n/,
    `'${\ FeatTest::builddir()}/featcgi' -c '${\ $t->conf_file}' -R`;
my @writes = grep {
    $_->[0] ne 'GET' && $_->[2] =~ /^(?:v2|feat)$/
        && ($_->[3] // '') =~ /\bsession\b/ && $_->[3] !~ /\bnoscope\b/
} @routes;
ok(@writes >= 25, 'write routes of v2 and feat: ' . scalar(@writes));

my $before = snapshot();
for my $r (@writes) {
    my ($method, $pattern, $dialect) = @$r;
    (my $path = $pattern) =~ s/\{(\w+)\}/
        $1 eq 'client_id' ? 'cid-1' : ($pattern =~ m{service} ? $pid : $fid)/ge;
    my ($s, $hd, $d) = $t->request($method, $path, {%body},
        { Authorization => "Bearer $ro" });
    if ($dialect eq 'v2') {
        ok($s == 200 && ref($d) eq 'HASH' && ($d->{code} // 0) == 10003,
            "$method $pattern (v2), read-only token: 10003")
            or diag("$s " . (ref($d) ? $JSON->encode($d) : $d));
    } else {
        ok($s == 403 && ref($d) eq 'HASH'
            && ($d->{code} // '') eq 'insufficient_scope',
            "$method $pattern (feat), read-only token: 403 insufficient_scope")
            or diag("$s " . (ref($d) ? $JSON->encode($d) : $d));
    }
}
is(snapshot(), $before, 'nothing stored by any of them');

# ---- what the scopes do allow -----------------------------------------------

($st, $h, $j) = $t->get('/api/personal/info', { -token => $ro });
is($j->{code}, 0, 'v2 GET /api/personal/info, read-only token: 0');
($st, $h, $j) = $t->get('/api/user/profile/', { -token => $ro });
is($st, 200, 'feat GET /api/user/profile/, read-only token: 200');

($st, $h, $j) = $t->get('/api/personal/info', { -token => $wo });
is($j->{code}, 10003, 'v2 GET /api/personal/info, write-only token: 10003');
($st, $h, $j) = $t->put('/api/personal/info', { nickname => 'by-write' },
    { -token => $wo });
is($j->{code}, 0, 'v2 PUT /api/personal/info, write-only token: 0');
is($t->db_value('SELECT nickname FROM users WHERE phone = ?', $PHONE),
    'by-write', '... stored');

($st, $h, $j) = $t->put('/api/personal/info', { nickname => 'by-login' },
    { -token => $full });
is($j->{code}, 0, 'v2 PUT /api/personal/info, the login\'s session: 0');
is($t->db_value('SELECT nickname FROM users WHERE phone = ?', $PHONE),
    'by-login', '... stored');

# revoking one's own token needs no scope
($st, $h, $j) = $t->post('/api/auth/destroy_token', {}, { -token => $ro });
is($j->{code}, 0, 'v2 destroy_token, read-only token: 0');
is($t->db_value('SELECT revoked_at IS NOT NULL FROM sessions'
    . ' WHERE access_hash = ?', sha256_hex($ro)), 1, '... revoked');

$t->stop;
done_testing;
