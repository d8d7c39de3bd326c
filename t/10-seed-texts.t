#!/usr/bin/perl

# t/10-seed-texts.t: v1 and v2 messages are the seeds' texts exactly
# (issue 12).  Every row of the v2 and v1 error tables ("featcgi -E",
# which featcgi-api(7) is made from) whose code the seed's table lists
# (seeds/004 for v2; seeds/003's 10002, 10005, 10012, 10021, 10022 for
# v1) answers the seed's text in Chinese, and through nginx a few of them
# arrive exactly so, with no field named after them.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Encode qw(decode_utf8);
use FeatTest;
use Test::More;

my %seed = (
    v2 => {
        10000 => '通用错误码',
        10001 => '数据未查到',
        10002 => '访问的路径不存在',
        10003 => '该用户没有访问或操作权限',
        10004 => '无效的Token, 可能是错误的, 失效的, 用户已被删除',
        10005 => '请求字段不合法',
        10006 => '用户未注册',
        10007 => '密码错误',
        10008 => '无效的验证码',
        10009 => '用户已注册',
        10010 => '短信发送太频繁',
        10011 => '短信服务欠费',
        10012 => '短信服务其他错误信息',
        10013 => '短信服务不可用, 可能是服务变更或参数错误导致',
        10014 => '邮件服务不可用, 可能是服务变更或参数错误导致',
    },
    v1 => {
        10002 => '手机号格式不正确',
        10005 => 'token过期',
        10012 => '缺少字段',
        10021 => '缺少token字段',
        10022 => '已注册',
    },
);

binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

my $t = FeatTest->new('code.ip_hourly_limit' => 1000);
my $bin = FeatTest::builddir() . '/featcgi';
my ($st, $h, $j);

my %seen;
for my $line (split /\n/, decode_utf8(scalar `'$bin' -E`)) {
    my ($dialect, $name, $status, $code, $zh) = split /\t/, $line;
    next if !exists $seed{$dialect} || !exists $seed{$dialect}{$code};
    $seen{$dialect}{$code}++;
    is($zh, $seed{$dialect}{$code}, "$dialect $name ($code): the seed's text");
}
for my $d (sort keys %seed) {
    for my $code (sort keys %{ $seed{$d} }) {
        # every code the seed names is one some refusal answers
        ok($seen{$d}{$code}, "$d $code is in the table");
    }
}

# ---- through nginx --------------------------------------------------------------

$t->register_v2('13800000001', 'secret-pw-1');

($st, $h, $j) = $t->post('/check/register', { account => '1234' });
is_deeply($j, { code => 10002, message => '手机号格式不正确' },
    'v1 /check/register with a bad phone: 10002 手机号格式不正确');
($st, $h, $j) = $t->post('/check/register', {});
is_deeply($j, { code => 10012, message => '缺少字段' },
    'v1 /check/register without account: 10012 缺少字段, no field named');
($st, $h, $j) = $t->post('/check/register', { account => '13800000001' });
is_deeply($j, { code => 10022, message => '已注册' },
    'v1 /check/register of a registered phone: 10022 已注册');
($st, $h, $j) = $t->post('/api/token/check', {});
is_deeply($j, { code => 10021, message => '缺少token字段' },
    'v1 /api/token/check without a token: 10021 缺少token字段');

($st, $h, $j) = $t->post('/api/auth/access_token', { account => 'x' });
is_deeply($j, { code => 10005, message => '请求字段不合法', data => {} },
    'v2 a bad account: 10005 请求字段不合法, no field named');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13800000009', password => 'secret-pw-1' });
is_deeply($j, { code => 10006, message => '用户未注册', data => {} },
    'v2 an unknown account: 10006 用户未注册');
($st, $h, $j) = $t->get('/api/nope');
is($j->{message}, '访问的路径不存在', 'v2 no such path: 访问的路径不存在');

$t->stop;
done_testing;
