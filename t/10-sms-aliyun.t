#!/usr/bin/perl

# 10-sms-aliyun.t: verification codes by Alibaba Cloud SMS (sms.provider
# aliyun) against t/fake/aliyun-sms.pl, which checks the RPC signature
# (HMAC-SHA1) and answers by the number's last digits.  Checked: the
# signed request (Action, sign name, template, {"code": CODE}), the code
# it carried is the one that works, and Alibaba's error codes as v2 codes:
# isv.AMOUNT_NOT_ENOUGH 10011 (arrears), isv.BUSINESS_LIMIT_CONTROL 10010
# (too frequent), any other refusal 10012, HTTP 500 10013 (down).

use strict;
use warnings;

use Encode qw(decode_utf8);

use lib 't/lib';
use File::Temp qw(tempdir);
use JSON::PP;
use FeatFake;
use FeatTest;
use Test::More;

my $dir = tempdir('feat-aliyun-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $log = "$dir/aliyun.log";
my (undef, $port) = FeatFake::start('aliyun-sms.pl', 120, '--log', $log,
    '--key-id', 'AKIDtest', '--secret', 'secret/with+chars');

my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'sms.provider' => 'aliyun',
    'sms.aliyun.access_key_id' => 'AKIDtest',
    'sms.aliyun.access_key_secret' => 'secret/with+chars',
    'sms.aliyun.sign_name' => '阿里云短信测试',
    'sms.aliyun.template_code' => 'SMS_154950909',
    'sms.aliyun.url' => "http://127.0.0.1:$port/");

sub lines {
    my @l;

    open(my $fh, '<', $log) or return ();
    while (my $line = <$fh>) {
        push @l, JSON::PP->new->utf8->decode($line);
    }
    return @l;
}

sub send_code {
    my ($phone) = @_;
    my ($st, $h, $j) = $t->post('/api/auth/send_code', { account => $phone });
    return ref $j eq 'HASH' ? $j->{code} : undef;
}

is(send_code('13800000000'), 0, 'send_code by Alibaba Cloud SMS: 0');
my ($rec) = grep { $_->{params}{PhoneNumbers} eq '13800000000' } lines();
ok($rec && $rec->{signature_ok}, '... a request whose signature verifies');
is($rec->{params}{Action}, 'SendSms', '... SendSms');
is($rec->{params}{SignName}, decode_utf8('阿里云短信测试'),
    '... the sign name (UTF-8, percent-encoded)');
is($rec->{params}{TemplateCode}, 'SMS_154950909', '... the template');
like($rec->{params}{TemplateParam}{code}, qr/^\d{6}$/, '... the code');
my ($st, $h, $j) = $t->post('/api/auth/check_code',
    { account => '13800000000', code => $rec->{params}{TemplateParam}{code} });
is($j->{code}, 0, '... and that code checks');

for my $case ([ '13800000001', 10011, 'isv.AMOUNT_NOT_ENOUGH: arrears' ],
    [ '13800000002', 10010, 'isv.BUSINESS_LIMIT_CONTROL: too frequent' ],
    [ '13800000003', 10012, 'isv.MOBILE_NUMBER_ILLEGAL: failed' ],
    [ '13800000004', 10013, 'HTTP 500: down' ])
{
    is(send_code($case->[0]), $case->[1], "$case->[2] ($case->[1])");
    is($t->db_value(q{SELECT count(*) FROM codes WHERE account LIKE ? AND
        consumed_at IS NULL}, "%$case->[0]"), 0, '... no code left');
}

done_testing();
