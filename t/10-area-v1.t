#!/usr/bin/perl

# t/10-area-v1.t: GET /area through nginx against a fake AMap
# (t/fake/amap.pl): AMap's answer under {"code":0,"message":...}, no
# token needed; only keywords, subdistrict, page, offset, extensions and
# filter reach AMap (a client's key= or callback= do not; the install's
# key does); a second identical call is answered from the cache without
# reaching AMap, also with the parameters in another order; an expired
# row is fetched again; the cache keeps at most amap.cache_rows rows;
# upstream errors, refusals, garbage and a timeout answer 10000 and are
# not cached; a value over 64 characters answers 10012; the per-address
# limit answers 10009.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use File::Temp qw(tempdir);
use FeatTest;
use FeatV1Content;
use JSON::PP;
use Test::More;

my $dir = tempdir('feat-area-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($pid, $port, $log) = FeatV1Content::start_fake($dir, 'amap.pl',
    '--key', 'amap-test-key', '--slow', 5);

my $t = FeatTest->new('amap.base_url' => "http://127.0.0.1:$port/",
    'amap.key' => 'amap-test-key', 'amap.timeout' => 1000,
    'amap.cache_rows' => 4, 'amap.ip_limit' => 30);
my ($st, $h, $j);
my $calls = 0;

sub area {
    my ($q) = @_;
    $calls++;
    my ($s, $hd, $d) = $t->get('/area' . (defined $q ? "?$q" : ''));
    return ref($d) eq 'HASH' ? { %$d, http => $s } : { http => $s, raw => $d };
}

# The requests the fake has seen, decoded.
sub seen {
    open(my $fh, '<', $log) or return [];
    my @r = map { JSON::PP->new->utf8->decode($_) } <$fh>;
    close($fh);
    return \@r;
}

# ---- success and the parameter filter ----------------------------------------------

$j = area('keywords=%E5%8C%97%E4%BA%AC&subdistrict=1&key=stolen&callback=cb'
    . '&extensions=base&output=XML');
is($j->{http}, 200, 'GET /area without a token: 200');
is($j->{code}, 0, '... code 0');
is($j->{message}{status}, '1', '... AMap\'s answer as the message');
is($j->{message}{info}, 'OK', '... info OK');
is($j->{message}{districts}[0]{name}, '北京', '... the district asked for');
is_deeply($j->{message}{suggestion}, { keywords => [], cities => [] },
    '... suggestion as the seed shows');
my $seen = seen();
is(scalar @$seen, 1, 'AMap was asked once');
is($seen->[0]{path}, '/v3/config/district', '... the district API');
is_deeply($seen->[0]{query}, { keywords => '北京', subdistrict => '1',
    extensions => 'base', key => 'amap-test-key' },
    '... with the allowed parameters and our key only');
is_deeply($seen->[0]{dup}, [], '... each once: the client\'s key dropped');

# ---- the cache ---------------------------------------------------------------------

$j = area('keywords=%E5%8C%97%E4%BA%AC&subdistrict=1&extensions=base');
is($j->{code}, 0, 'the same call again: 0');
is($j->{message}{districts}[0]{name}, '北京', '... same answer');
is(scalar @{ seen() }, 1, '... from the cache: AMap not asked');
$j = area('extensions=base&subdistrict=1&keywords=%E5%8C%97%E4%BA%AC&foo=1');
is(scalar @{ seen() }, 1, 'other order, an ignored extra: still cached');
is($t->db_value('SELECT COUNT(*) FROM area_cache'), 1, 'one cache row');
like($t->db_value('SELECT query FROM area_cache'), qr/^extensions=base&/,
    '... keyed by the normalized query');
unlike($t->db_value('SELECT query FROM area_cache'), qr/key=/,
    '... which holds no key');

$t->dbh->do('UPDATE area_cache SET created_at = created_at - 86400');
$j = area('keywords=%E5%8C%97%E4%BA%AC&subdistrict=1&extensions=base');
is($j->{code}, 0, 'after amap.cache_ttl: 0');
is(scalar @{ seen() }, 2, '... fetched again');

$j = area();
is($j->{code}, 0, 'no parameters at all: 0');
is_deeply(seen()->[-1]{query}, { key => 'amap-test-key' },
    '... only the key sent');
for my $k (qw(%E4%B8%8A%E6%B5%B7 %E5%B9%BF%E5%B7%9E %E6%B7%B1%E5%9C%B3)) {
    area("keywords=$k");
}
is($t->db_value('SELECT COUNT(*) FROM area_cache'), 4,
    'amap.cache_rows 4: the table holds 4 rows');
is($t->db_value('SELECT COUNT(*) FROM area_cache WHERE query LIKE ?',
    'extensions=base%'), 0, '... the oldest evicted');

# ---- failures ----------------------------------------------------------------------

my $n = scalar @{ seen() };
for my $mode (qw(error garbage refuse slow)) {
    $j = area("keywords=$mode");
    is($j->{http}, 200, "AMap $mode: 200");
    is($j->{code}, 10000, '... code 10000');
    ok(!ref $j->{message}, '... an error message, no data');
}
$j = area('keywords=error');
is($j->{code}, 10000, 'a failure again: 10000');
is(scalar @{ seen() }, $n + 5, '... failures are not cached');
is($t->db_value('SELECT COUNT(*) FROM area_cache WHERE query LIKE ?',
    '%error%'), 0, '... no row for them');

$j = area('keywords=' . ('x' x 65));
is($j->{code}, 10012, 'a value over 64 characters: 10012');
$j = area('filter=' . ('x' x 64));
is($j->{code}, 0, '... 64 is fine');
is(scalar @{ seen() }, $n + 6, '... and the long one never left');

($st, $h, $j) = $t->post('/area', {});
is($st, 405, 'POST /area: 405');

# ---- the per-address limit ---------------------------------------------------------

my $got;
for (1 .. 40) {
    $j = area('keywords=limit');
    if ($j->{code} != 0) {
        $got = $j->{code};
        last;
    }
}
is($got, 10009, 'over amap.ip_limit a minute: 10009');
is($calls, 31, '... after exactly 30 calls');

$t->stop;
done_testing;
