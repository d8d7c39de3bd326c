#!/usr/bin/perl
# t/fake/aliyun-sms.pl: a fake Alibaba Cloud SMS endpoint (SendSms, RPC
# style, signature v1) for the tests.
#
#   aliyun-sms.pl [--ttl S] --log FILE --key-id ID --secret S
#
# GET /?Signature=...&AccessKeyId=...&Action=SendSms&...: the signature is
# checked (base64 of HMAC-SHA1 under SECRET + "&" of "GET&%2F&" and the
# encoded canonical query of every other parameter); a wrong one gets
# HTTP 400 {"Code":"SignatureDoesNotMatch"}, an unknown AccessKeyId
# {"Code":"InvalidAccessKeyId.NotFound"}.  Then the number's last four
# digits pick the answer: 0001 isv.AMOUNT_NOT_ENOUGH, 0002
# isv.BUSINESS_LIMIT_CONTROL, 0003 isv.MOBILE_NUMBER_ILLEGAL, 0004 HTTP
# 500, else {"Code":"OK"}.  Every request is appended to --log as one JSON
# line before it is answered: {"params", "signature_ok", "code"}, the
# parameters decoded.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Digest::SHA qw(hmac_sha1_base64);
use FeatFake qw(answer);
use Getopt::Long qw(GetOptions);
use JSON::PP;

my %opt = (ttl => 300);
GetOptions(\%opt, 'ttl=i', 'log=s', 'key-id=s', 'secret=s', 'port=i')
    or die "usage\n";

FeatFake::listen_and_serve(port => $opt{port} // 0, ttl => $opt{ttl},
                           child_alarm => 30, serve => \&serve);

sub dec {
    my ($s) = @_;
    $s =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
    utf8::decode($s);
    return $s;
}

sub enc {
    my ($s) = @_;
    utf8::encode($s);
    $s =~ s/([^A-Za-z0-9\-_.~])/sprintf('%%%02X', ord($1))/ge;
    return $s;
}

sub serve {
    my ($c) = @_;
    my ($method, $h, $body, $target) = FeatFake::read_request($c, sub {
        answer($c, $_[0], 'text/plain', 'refused') });

    return unless defined $method;

    my (undef, $raw) = split /\?/, $target // '', 2;
    my %p = map { my ($k, $v) = split /=/, $_, 2; (dec($k), dec($v // '')) }
        split /&/, $raw // '';
    my $sig = delete $p{Signature} // '';
    my $canon = join('&', map { enc($_) . '=' . enc($p{$_}) } sort keys %p);
    my $want = hmac_sha1_base64('GET&%2F&' . enc($canon), "$opt{secret}&");
    $want .= '=' while length($want) % 4;
    my $ok = $sig eq $want;
    my ($status, $code) = (200, 'OK');

    if (!$ok) {
        ($status, $code) = (400, 'SignatureDoesNotMatch');
    } elsif (($p{AccessKeyId} // '') ne $opt{'key-id'}) {
        ($status, $code) = (404, 'InvalidAccessKeyId.NotFound');
    } else {
        my $last = substr($p{PhoneNumbers} // '', -4);
        ($status, $code) = $last eq '0001' ? (200, 'isv.AMOUNT_NOT_ENOUGH')
            : $last eq '0002' ? (200, 'isv.BUSINESS_LIMIT_CONTROL')
            : $last eq '0003' ? (200, 'isv.MOBILE_NUMBER_ILLEGAL')
            : $last eq '0004' ? (500, 'InternalError')
            : (200, 'OK');
    }

    $p{TemplateParam} = eval { decode_json($p{TemplateParam} // '') }
        // $p{TemplateParam};
    FeatFake::record($opt{log}, { params => \%p, signature_ok => $ok
        ? JSON::PP::true : JSON::PP::false, code => $code }, 1);
    return answer($c, $status, 'application/json',
        encode_json({ Code => $code, Message => $code,
                      RequestId => 'R' . int(rand(1e9)) }));
}
