#!/usr/bin/perl

# t/10-img-v1.t: POST /api/user/img through nginx (seeds/003): a
# multipart field "img" holding a PNG, JPEG or GIF (judged by its bytes,
# not its name) is stored through the images domain and answered as its
# public URL, which nginx then serves; everything else about the upload
# (not multipart, a ".png" that is no image) answers 10010 and stores
# nothing, and a body without an "img" part 10012 缺少字段; a body over max_upload answers 413 with 10012; a JWT is
# required.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Compress::Zlib qw(compress crc32);
use File::Find qw(find);
use FeatTest;
use FeatV1Content;
use HTTP::Tiny;
use Test::More;

my $t = FeatTest->new(max_upload => '64k', -body_limit => '1m',
    'code.ip_hourly_limit' => 1000);
my ($st, $h, $j);

my $boundary = 'featV1ImgBoundary0a1b2c3d';

sub png {
    my ($w, $hgt) = @_;
    my $chunk = sub {
        my ($type, $data) = @_;
        return pack('N', length $data) . $type . $data
            . pack('N', crc32($type . $data));
    };

    return "\x89PNG\r\n\x1a\n"
        . $chunk->('IHDR', pack('NNCCCCC', $w, $hgt, 8, 0, 0, 0, 0))
        . $chunk->('IDAT', compress(join('', ("\0" . ("\x80" x $w)) x $hgt)))
        . $chunk->('IEND', '');
}

# GIF89a, 1x1, one colour: the smallest well-formed one.
my $gif = "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
    . "\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";

# [name, value, filename?, type?] each.
sub multipart {
    my $body = '';

    for my $p (@_) {
        my ($name, $value, $file, $type) = @$p;
        $body .= "--$boundary\r\nContent-Disposition: form-data; name=\"$name\"";
        $body .= "; filename=\"$file\"" if defined $file;
        $body .= "\r\n";
        $body .= "Content-Type: $type\r\n" if defined $type;
        $body .= "\r\n$value\r\n";
    }
    return $body . "--$boundary--\r\n";
}

sub upload {
    my ($u, @parts) = @_;

    return FeatV1Content::v1($t, $u, 'POST', '/api/user/img',
        multipart(@parts),
        { 'Content-Type' => "multipart/form-data; boundary=$boundary" });
}

sub media_files {
    my @f;
    find(sub { push @f, $File::Find::name if -f $_ }, $t->dir . '/media');
    return scalar @f;
}

my $u = FeatV1Content::user($t, '13800000001');

# ---- success -----------------------------------------------------------------------

my $png = png(3, 2);
$j = upload($u, [ 'img', $png, 'a.png', 'image/png' ]);
is($j->{code}, 0, 'POST /api/user/img with a PNG: 0');
like($j->{message}, qr{^http://127\.0\.0\.1:\d+/media/\w\w/\w{32}\.png$},
    '... the public URL as the message');
my $res = HTTP::Tiny->new(timeout => 30)->get($j->{message});
is($res->{status}, 200, '... nginx serves it');
is($res->{headers}{'content-type'}, 'image/png', '... as image/png');
is($res->{content}, $png, '... the same bytes');
is($t->db_value('SELECT COUNT(*) FROM images WHERE user_id = ?', $u->{id}),
    1, '... recorded as the user\'s image');

$j = upload($u, [ 'img', $gif, 'photo.jpg', 'image/jpeg' ]);
is($j->{code}, 0, 'a GIF named .jpg: 0');
like($j->{message}, qr{\.gif$}, '... stored by its content, as .gif');

# ---- refusals ----------------------------------------------------------------------

my $files = media_files();
my $rows = $t->db_value('SELECT COUNT(*) FROM images');
$j = upload($u, [ 'img', "<?php echo 'hi'; ?>\n" x 10, 'evil.png',
    'image/png' ]);
is($j->{code}, 10010, 'a .png that is not an image: 10010');
$j = upload($u, [ 'img', substr($png, 0, 30), 'cut.png', 'image/png' ]);
is($j->{code}, 10010, 'a truncated PNG: 10010');
# issue 12: a body without an "img" part is the seed's 10012 缺少字段
for my $name ('image', 'file') {
    $j = upload($u, [ $name, $png, 'a.png', 'image/png' ]);
    is($j->{code}, 10012, "no \"img\" part (a part \"$name\"): 10012");
    is($j->{message}, '缺少字段', '... with the seed\'s text exactly');
}
$j = upload($u, [ 'img', '', 'empty.png', 'image/png' ]);
is($j->{code}, 10010, 'an empty "img": 10010');
($st, $h, $j) = FeatV1Content::v1($t, $u, 'POST', '/api/user/img',
    { img => 'x' });
is($j->{code}, 10010, 'a JSON body: 10010');
($st, $h, $j) = FeatV1Content::v1($t, $u, 'POST', '/api/user/img',
    "--$boundary\r\nContent-Disposition: form-data\r\n\r\nbroken",
    { 'Content-Type' => "multipart/form-data; boundary=$boundary" });
is($j->{code}, 10010, 'a malformed multipart body: 10010');
is(media_files(), $files, '... no file stored by any refusal');
is($t->db_value('SELECT COUNT(*) FROM images'), $rows, '... nor any row');

($st, $h, $j) = upload($u, [ 'img', png(200, 200) . ("\0" x 70000),
    'big.png', 'image/png' ]);
is($st, 413, 'a body over max_upload: 413');
is($j->{code}, 10012, '... v1 10012');

$j = upload(undef, [ 'img', $png, 'a.png', 'image/png' ]);
is($j->{code}, 10021, 'no token: 10021');
$j = FeatV1Content::v1($t, undef, 'POST', '/api/user/img',
    multipart([ 'img', $png, 'a.png' ]),
    { 'Content-Type' => "multipart/form-data; boundary=$boundary",
      Authorization => "Token $u->{token}" });
is($j->{code}, 10001, 'a v2 session token: 10001');
is(media_files(), $files, '... nothing stored');
is($t->db_value('SELECT COUNT(*) FROM images'), $rows,
    '... no image row after any refusal');

$t->stop;
done_testing;
