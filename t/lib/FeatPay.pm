package FeatPay;

# t/lib/FeatPay.pm: what the payment tests (t/10-pay-*.t) share to stand
# up the two providers: RSA key pairs made with the openssl command, the
# fakes of Alipay (t/fake/alipay.pl) and WeChat Pay (t/fake/weixin.pl)
# started on them with a log and a control file each, the featcgi they
# talk to, and the two files' readers.
#
#     my $dir = tempdir(...);
#     FeatPay::rsa_keys($dir, qw(app alipay));  # $dir/app.pem, app.pub...
#     my $f = FeatPay::fakes($dir, $AID, "$MCH=$KEY", $OA);
#     my $t = FeatPay::featcgi();
#     put($f->{actl}, 'ok');                   # what the fake answers next
#     my @calls = lines($f->{wlog});           # what it was asked

use strict;
use warnings;

use Exporter qw(import);
use FeatFake;
use FeatTest;
use Test::More;

our @EXPORT_OK = qw(put lines);


# An RSA key pair per name, $dir/NAME.pem and $dir/NAME.pub (2048 bits);
# bails out without the openssl command.
sub rsa_keys {
    my ($dir, @names) = @_;

    BAIL_OUT('no openssl command (apt-get install openssl)')
        if system('openssl version >/dev/null 2>&1') != 0;

    for my $who (@names) {
        system("openssl genpkey -algorithm RSA -pkeyopt"
            . " rsa_keygen_bits:2048 -out '$dir/$who.pem' 2>/dev/null") == 0
            or BAIL_OUT('openssl genpkey failed');
        system('openssl', 'pkey', '-in', "$dir/$who.pem", '-pubout', '-out',
            "$dir/$who.pub") == 0
            or BAIL_OUT('openssl pkey -pubout failed');
    }
}

# Starts both fakes for 300 s: Alipay's as app id $aid, signing with
# $dir/alipay.pem and checking requests with $dir/app.pub; WeChat's with
# the merchant "$mch_id=$key" and the appids @appids.  Answers their
# files, pids and ports: { alog, actl, wlog, wctl, ali_pid, ali_port,
# wx_pid, wx_port }.
sub fakes {
    my ($dir, $aid, $merchant, @appids) = @_;
    my %f = (alog => "$dir/alipay.log", actl => "$dir/alipay.ctl",
        wlog => "$dir/weixin.log", wctl => "$dir/weixin.ctl");

    @f{qw(ali_pid ali_port)} = FeatFake::start('alipay.pl', 300,
        '--key', "$dir/alipay.pem", '--app-key', "$dir/app.pub",
        '--app-id', $aid, '--control', $f{actl}, '--log', $f{alog});
    @f{qw(wx_pid wx_port)} = FeatFake::start('weixin.pl', 300,
        '--merchant', $merchant, (map { ('--appid', $_) } @appids),
        '--control', $f{wctl}, '--log', $f{wlog});

    return \%f;
}

# The featcgi the payment tests run: short gateway timeouts, no sweep of
# its own, and room for the many sign-ups a file makes.
sub featcgi {
    return FeatTest->new('alipay.trade_timeout' => 2000,
        'weixin.timeout' => 2000, 'jobs.interval' => 86400,
        'code.ip_hourly_limit' => 1000, 'code.hourly_limit' => 1000,
        'code.daily_limit' => 1000);
}

# Writes a fake's control file: its lines, each what to answer next.
sub put {
    my ($file, @lines) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print {$fh} map { "$_\n" } @lines;
    close $fh;
}

# A fake's log: one decoded JSON object per request, oldest first (none
# before the first request).
sub lines { return FeatTest::json_lines($_[0]) }

1;
