#!/usr/bin/perl

# 10-nginx-maps.t: nginx/featcgi-maps.conf, which the shipped site and the
# tests' template include, is what "featcgi -D nginx-maps" makes from the
# dialect tables (fcgi/dialect.c) and the modules' prefixes and routes,
# byte for byte: change a dialect, then run
#     featcgi -D nginx-maps > nginx/featcgi-maps.conf
# and nginx answers its own errors as featcgi answers them.  nginx -t
# accepts the maps.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use File::Temp qw(tempdir);
use FeatTest;
use Test::More;

my $bin = FeatTest::builddir() . '/featcgi';
my $file = FeatTest::srcdir() . '/nginx/featcgi-maps.conf';

my $made = `'$bin' -D nginx-maps`;
is($?, 0, 'featcgi -D nginx-maps exits 0');
like($made, qr/^map \$uri \$feat_dialect \{$/m, '... and prints the maps');

my $shipped = FeatTest::_slurp($file);
if (!ok($made eq $shipped, 'nginx/featcgi-maps.conf is what featcgi -D '
    . 'nginx-maps prints (regenerate it)'))
{
    my $tmp = File::Temp->new();
    print $tmp $made;
    close($tmp);
    diag(`diff -u '$file' '$tmp'`);
}

# featcgi's answers and nginx's agree: the same JSON for each dialect;
# v2's 10005 and v1's 10012 say the seeds' texts exactly (issue 12)
for my $d ([ 'default', '{"code":10005,"message":"请求字段不合法","data":{}}' ],
    [ 'v1', '{"code":10012,"message":"缺少字段"}' ],
    [ 'feat', '{"detail":"请求体过大","code":"request_too_large"}' ],
    [ 'oauth2', '{"error":"invalid_request",'
        . '"error_description":"request body too large"}' ])
{
    my ($k, $body) = @$d;
    utf8::encode($body);
    like($made, qr/^\s+\Q$k\E\s+'\Q$body\E';$/m, "413 body of $k");
}

my $out = `'$bin' -D nope 2>&1`;
isnt($?, 0, '-D with another name fails');
like($out, qr/nginx-maps/, '... and names the one it knows');

# nginx accepts the maps as they are shipped
my $nginx = FeatTest::_nginx_binary();
SKIP: {
    skip('no nginx', 1) if !$nginx;
    my $dir = tempdir('featcgi-maps-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    mkdir("$dir/log");
    open(my $fh, '>', "$dir/nginx.conf") or die;
    print $fh "error_log $dir/log/error.log;\npid $dir/nginx.pid;\n"
        . "events { }\nhttp {\n    include $file;\n}\n";
    close($fh);
    my $t = `$nginx -t -p $dir -c $dir/nginx.conf 2>&1`;
    is($?, 0, 'nginx -t accepts the maps') or diag($t);
}

done_testing;
