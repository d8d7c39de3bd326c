#!/usr/bin/perl
# t/10-delivery.t: verification codes through the delivery providers.
#
# A fake SMS gateway and a fake SMTP server run on loopback for the whole
# file; featcgi is pointed at them with config overrides.  Each phone number
# picks the gateway's behaviour by its last digits, so one gateway serves
# every case.  For every failure the test checks the v2 code, that no
# unconsumed code row is left in the database, and that the code the
# provider did see (the gateway logs before it answers) cannot be used.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp qw(tempdir);
use JSON::PP;
use MIME::QuotedPrint qw(decode_qp);
use Test::More;

use FeatFake;
use FeatTest;

my $dir = tempdir('feat-delivery-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $key = 'gw-' . join('', map { ('a' .. 'z')[rand 26] } 1 .. 16);

# ---- the fakes --------------------------------------------------------------

sub read_jsonl {
    my ($file) = @_;
    my @recs;

    open my $fh, '<', $file or return ();
    while (<$fh>) {
        push @recs, decode_json($_);
    }
    return @recs;
}

my $gw_log = "$dir/gateway.log";
my $smtp_log = "$dir/smtp.log";

my ($gw_pid, $gw_port) = FeatFake::start('sms-gateway.pl', 120,
    '--log', $gw_log, '--key', $key, '--slow', 5,
    '--rule', '0001=arrears', '--rule', '0002=error',
    '--rule', '0003=slow', '--rule', '0004=fail', '--rule', '0005=close');
my ($smtp_pid, $smtp_port) = FeatFake::start('smtp.pl', 120,
    '--log', $smtp_log, '--reject', 'bounce');

# ---- helpers ------------------------------------------------------------------

my $t = FeatTest->new(
    'sms.provider'        => 'http',
    'sms.http_url'        => "http://127.0.0.1:$gw_port/v1/sms",
    'sms.http_key'        => $key,
    'sms.http_timeout'    => 1500,
    'mail.provider'       => 'smtp',
    'mail.smtp_url'       => "smtp://127.0.0.1:$smtp_port",
    'mail.from'           => 'featcgi <noreply@example.com>',
    'mail.timeout'        => 5000,
    'code.ip_hourly_limit' => 1000,
);

sub send_code {
    my ($t, $account) = @_;
    my ($status, $h, $body) = $t->post('/api/auth/send_code',
                                       { account => $account });

    is($status, 200, "send_code $account: HTTP 200");
    return ref $body eq 'HASH' ? $body->{code} : undef;
}

# The last code the gateway saw for a phone.
sub gateway_code {
    my ($phone) = @_;
    my ($rec) = grep { $_->{phone} eq $phone } reverse read_jsonl($gw_log);

    return $rec ? $rec->{code} : undef;
}

# The last code mailed to an address (the body is quoted-printable).
sub mailed_code {
    my ($addr) = @_;
    my ($rec) = grep { grep { $_ eq $addr } @{$_->{to}} }
                reverse read_jsonl($smtp_log);

    return undef unless $rec;
    my ($head, $body) = split /\r\n\r\n/, $rec->{data}, 2;
    return decode_qp($body) =~ /\b(\d{6})\b/ ? $1 : undef;
}

sub live_codes {
    my ($t, $account) = @_;
    my ($n) = $t->dbh->selectrow_array(
        'SELECT count(*) FROM codes WHERE app_id = ? AND account = ?'
        . ' AND consumed_at IS NULL', undef, '', $account);

    return $n;
}

# A failed send: the v2 code, no code row left, and the code the provider
# saw (when $seen, a sub run after the send, finds one) refused.
sub failed_send {
    my ($t, $account, $key_form, $want, $name, $seen) = @_;

    is(send_code($t, $account), $want, "$name: code $want");
    is(live_codes($t, $key_form), 0, "$name: no code row left");

    my $code = $seen ? $seen->() : undef;
    if (defined $code) {
        my ($st, $h, $b) = $t->post('/api/auth/check_code',
                                    { account => $account, code => $code });
        is($b->{code}, 10008, "$name: the code the provider saw is refused");
    }
}

sub seen_by_gateway {
    my ($phone) = @_;

    return sub {
        my $code = gateway_code($phone);
        ok(defined $code, "the gateway saw a code for $phone");
        return $code;
    };
}

# ---- SMS through the gateway ---------------------------------------------------

{
    my $phone = '13800000000';

    is(send_code($t, $phone), 0, 'sms via http: sent');
    my $code = gateway_code($phone);
    like($code, qr/^\d{6}$/, 'gateway got a 6-digit code');

    my ($rec) = grep { $_->{phone} eq $phone } read_jsonl($gw_log);
    is($rec->{area}, '86', 'gateway got the area');
    is($rec->{app}, '', 'gateway got the app id');

    my ($st, $h, $b) = $t->post('/api/auth/register',
        { account => $phone, code => $code, password => 'secret123' });
    is($b->{code}, 0, 'the delivered code registers the phone');
    ok($b->{data}{access_token}, 'register answers a token');
    is(live_codes($t, "86:$phone"), 0, 'register consumed the code');
}

for my $case (
    [ '13800000001', 10011, 'gateway: arrears' ],
    [ '13800010001', 10011, 'gateway: arrears again' ],
    [ '13800000002', 10012, 'gateway: HTTP 500' ],
    [ '13800000004', 10012, 'gateway: refusal in a 200 answer' ],
    [ '13800000003', 10013, 'gateway: slower than sms.http_timeout' ],
    [ '13800000005', 10013, 'gateway: drops the connection' ],
    )
{
    my ($phone, $want, $name) = @$case;

    failed_send($t, $phone, "86:$phone", $want, $name,
                seen_by_gateway($phone));
}

# ---- mail through SMTP ------------------------------------------------------------

{
    my $addr = 'someone@example.com';

    is(send_code($t, $addr), 0, 'mail via smtp: sent');
    my ($rec) = grep { grep { $_ eq $addr } @{$_->{to}} }
                read_jsonl($smtp_log);
    ok($rec, 'the SMTP server got a message');
    is($rec->{from}, 'noreply@example.com', 'envelope sender');
    like($rec->{data}, qr/^Subject: =\?UTF-8\?B\?/m, 'subject encoded');
    like($rec->{data}, qr/^Content-Type: text\/plain; charset=UTF-8\r$/m,
         'plain UTF-8 text');

    my $code = mailed_code($addr);
    like($code, qr/^\d{6}$/, 'the mail holds the code');

    my ($st, $h, $b) = $t->post('/api/auth/register',
        { account => $addr, code => $code, password => 'secret123' });
    is($b->{code}, 0, 'the mailed code registers the address');
}

failed_send($t, 'bounce@example.com', 'bounce@example.com', 10014,
            'SMTP refuses the recipient', undef);

# ---- services gone ------------------------------------------------------------------

FeatFake::stop($gw_pid);
FeatFake::stop($smtp_pid);

failed_send($t, '13800000006', '86:13800000006', 10013, 'gateway down',
            undef);
failed_send($t, 'other@example.com', 'other@example.com', 10014,
            'SMTP server down', undef);

$t->stop;

# ---- no provider configured ------------------------------------------------------

$t = FeatTest->new('sms.provider' => '', 'mail.provider' => '');

failed_send($t, '13900000000', '86:13900000000', 10013, 'no SMS provider',
            undef);
failed_send($t, 'nobody@example.com', 'nobody@example.com', 10014,
            'no mail provider', undef);

$t->stop;

done_testing();
