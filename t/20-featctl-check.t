#!/usr/bin/perl

# 20-featctl-check.t: file modes and featctl check (issue 12, finding 7).
# featcgi makes the database, its -wal and -shm, and the directories and
# files under media_dir for its user alone (0600, 0700), or for a group
# too (0640, 0750: file_group for the database, media_group for
# media_dir); featctl check, like nginx -t, parses the
# config and judges the secret's strength, file modes, file_group,
# public_url/server_names and every app's stored settings: warnings keep
# exit status 0, errors make it 1.

use strict;
use warnings;

use lib 't/lib';
use FeatImage;
use FeatTest;
use HTTP::Tiny;
use Test::More;

sub mode {
    my @s = stat($_[0]);
    return @s ? sprintf('%04o', $s[2] & 07777) : 'none';
}

my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    public_url => undef, server_names => '127.0.0.1');
my $dir = $t->dir;
my ($rc, $out, $err);

# ---- the modes featcgi gives -------------------------------------------------

is(mode("$dir/featcgi.db"), '0600', 'the database is made 0600');
my $tok = $t->register_v2('13800000061', 'secret0061')->{access_token};
ok(-e "$dir/featcgi.db-wal", '(the pool holds the WAL open)');
is(mode("$dir/featcgi.db-wal"), '0600', '... its -wal 0600');
is(mode("$dir/featcgi.db-shm"), '0600', '... its -shm 0600');

# media_dir itself made by featcgi: the harness made one, so use a new one
rmdir("$dir/media");
my ($st, $h, $j) = FeatImage::upload_feat($t, $tok, FeatImage::png(2, 2));
is($st, 201, 'an upload into a media_dir that is not there yet');
is(mode("$dir/media"), '0700', '... media_dir made 0700');
my ($file) = FeatImage::media_files($t);
is(mode($file), '0600', '... the image 0600');
(my $sub = $file) =~ s{/[^/]+$}{};
is(mode($sub), '0700', '... its directory 0700');
my $res = HTTP::Tiny->new(timeout => 30)->get($j->{data}{url});
is($res->{status}, 200, '... nginx, the same user, serves it');
is($res->{content}, FeatImage::png(2, 2), '... the same bytes');

# ---- featctl check -----------------------------------------------------------

chmod(0600, $t->conf_file);
($rc, $out, $err) = $t->featctl('check');
is($rc, 0, 'featctl check: 0') or diag($err);
like($err, qr/syntax is ok/, '... the syntax is ok');
like($err, qr/test is successful\n\z/, '... the test is successful');
unlike($err, qr/warning|error/, '... without a warning');

chmod(0640, $t->conf_file);
($rc, $out, $err) = $t->featctl('check');
unlike($err, qr/warning: the config file/, 'a config file 0640 is no warning');
chmod(0644, $t->conf_file);
chmod(0644, "$dir/featcgi.db");
chmod(0755, "$dir/media");
($rc, $out, $err) = $t->featctl('check');
is($rc, 0, 'loose modes: still 0 (warnings)');
like($err, qr/warning: the config file .* is mode 0644: anyone may read/,
    '... the config file named');
like($err, qr/warning: the database "\Q$dir\E\/featcgi\.db" is mode 0644/,
    '... the database named');
like($err, qr/warning: media_dir .* is mode 0755: anyone may list/,
    '... media_dir named');
like($err, qr/successful \(with warnings\)/, '... successful with warnings');
chmod(0600, $t->conf_file);
chmod(0600, "$dir/featcgi.db");
chmod(0700, "$dir/media");

# per-app settings: a value its type refuses, a key no module declares, a
# secret that does not open under this install's secret
$t->featctl('app', 'set', '', 'pay.order_ttl=600');
$t->dbh->do(q{UPDATE app_settings SET value = '5' WHERE key = 'pay.order_ttl'});
$t->dbh->do(q{INSERT INTO app_settings (app_id, key, value, updated_at)
    VALUES ('', 'nosuch.key', 'x', 0)});
$t->dbh->do(q{INSERT INTO app_settings (app_id, key, sealed, updated_at)
    VALUES ('', 'weixin.key', X'00112233445566778899aabbccddeeff0011', 0)});
($rc, $out, $err) = $t->featctl('check');
is($rc, 1, 'bad settings: 1');
like($err, qr/error: app "": "pay\.order_ttl" is/, '... the bad value named');
like($err, qr/warning: app "": setting "nosuch\.key" is no module's/,
    '... the unknown key a warning');
like($err, qr/error: app "": the secret "weixin\.key" does not open/,
    '... the sealed value that does not open');
like($err, qr/test failed \(2 errors, 1 warning\)\n\z/, '... test failed');
$t->dbh->do(q{DELETE FROM app_settings});
$t->stop;

# ---- config errors and warnings ----------------------------------------------

my $w = FeatTest->new(-no_start => 1, secret => 'ab' x 20,
    file_group => 'no-such-group-here', public_url => undef,
    server_names => undef, 'image.max_side' => 0);
chmod(0600, $w->conf_file);
($rc, $out, $err) = $w->featctl('check');
is($rc, 1, 'a weak secret, an unknown group, no image: 1');
like($err, qr/error: "secret" is weak: 40 characters of 2 kinds/,
    '... the weak secret');
like($err, qr/error: "file_group" "no-such-group-here" is no group/,
    '... the unknown group');
like($err, qr/error: "image\.max_side" and "image\.max_pixels" must be/,
    '... the image limits');
like($err, qr/warning: "public_url" and "server_names" are both empty/,
    '... the Host warning');

$w->write_conf(secret => 'paste 48 random characters here, e.g. from openssl',
    file_group => undef, 'image.max_side' => undef,
    public_url => 'https://api.example.com/app/');
($rc, $out, $err) = $w->featctl('check');
is($rc, 1, 'the example secret, a public_url with a path: 1');
like($err, qr/error: "secret" is a sentence/, '... the example secret');
like($err, qr/error: "public_url" must be scheme:\/\/host\[:port\]/,
    '... the public_url');

$w->write_conf(secret => 'short');
($rc, $out, $err) = $w->featctl('check');
is($rc, 1, 'a config that does not load: 1');
like($err, qr/"secret" is shorter than 32 characters/, '... saying why');

$w->write_conf(secret => join('', map { sprintf('%02x', $_) } 0 .. 31),
    public_url => 'https://api.example.com');
chmod(0600, $w->conf_file);
chmod(0700, $w->dir . '/media');
($rc, $out, $err) = $w->featctl('check');
is($rc, 0, 'a good config: 0') or diag($err);
unlike($err, qr/warning|error/, '... nothing to say');

# file_group and media_group: the test's own group gives 0640 and 0750
my $group = getgrgid($));
my $g = FeatTest->new(file_group => $group, media_group => $group,
    'code.ip_hourly_limit' => 1000);
is(mode($g->dir . '/featcgi.db'), '0640', "file_group $group: database 0640");
is((stat($g->dir . '/featcgi.db'))[5], $( + 0, '... of the group');
$tok = $g->register_v2('13800000062', 'secret0062')->{access_token};
rmdir($g->dir . '/media');
($st, $h, $j) = FeatImage::upload_feat($g, $tok, FeatImage::png(2, 2));
is($st, 201, '... an upload');
is(mode($g->dir . '/media'), '0750', '... media_dir 0750');
($file) = FeatImage::media_files($g);
is(mode($file), '0640', '... the image 0640');
is((stat($file))[5], $( + 0, '... of the group');
chmod(0640, $g->conf_file);
chmod(0750, $g->dir . '/media');
($rc, $out, $err) = $g->featctl('check');
is($rc, 0, '... featctl check: 0') or diag($err);
unlike($err, qr/warning.*mode/, '... 0640 and 0750 are no warning');
$g->stop;

done_testing;
