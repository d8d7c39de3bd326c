#!/usr/bin/perl

# 10-image-strip.t: metadata in stored uploads (issue 12, finding 5).  A
# crafted file per block, uploaded through both routes (feat POST
# /api/user/user-image/, v1 POST /api/user/img); the file in media_dir
# must lack the block, keep what draws the picture byte for byte, and
# still walk as a valid image of the same type to its end marker with
# nothing after it:
#   GIF: comment and application extensions but the NETSCAPE2.0 loop
#        block, data after the trailer;
#   PNG: ancillary chunks other than tRNS, gAMA, cHRM, sRGB, iCCP, pHYs;
#        data after IEND;
#   JPEG: APPn other than APP0 JFIF, APP2 ICC_PROFILE, APP14 Adobe; COM;
#        data after EOI.

use strict;
use warnings;

use lib 't/lib';
use Compress::Zlib qw(crc32);
use FeatImage qw();
use FeatTest;
use FeatV1Content;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000);
my ($st, $h, $j);

my $u = FeatV1Content::user($t, '13800000081');
my $tok = $t->register_v2('18656668001', 'secret8001')->{access_token};

my $secret = 'GPS=31.2304N,121.4737E;owner=Li Lei';

# Every PNG chunk's CRC right, and IEND last with nothing after it.
sub png_valid {
    my ($p) = @_;
    my $pos = 8;

    return 0 if substr($p, 0, 8) ne "\x89PNG\r\n\x1a\n";
    while ($pos + 12 <= length $p) {
        my ($len, $type) = unpack('Na4', substr($p, $pos, 8));
        my $crc = unpack('N', substr($p, $pos + 8 + $len, 4));
        return 0 if $crc != crc32($type . substr($p, $pos + 8, $len));
        $pos += 12 + $len;
        return $pos == length $p if $type eq 'IEND';
    }
    return 0;
}

# Uploads through both routes; answers the two stored copies.
sub both {
    my ($bytes, $what) = @_;
    my @stored;

    ($st, $h, $j) = FeatImage::upload_feat($t, $tok, $bytes);
    is($st, 201, "$what: feat upload 201") or diag explain $j;
    push @stored, FeatImage::stored($t, $j->{data}{url} // '');
    is($j->{data}{size}, length($stored[-1] // ''),
        '... size is the stored file\'s');

    $j = FeatImage::upload_v1($t, $u, $bytes);
    is($j->{code}, 0, "$what: v1 upload 0");
    push @stored, FeatImage::stored($t, $j->{message} // '');

    return @stored;
}

# ---- PNG ---------------------------------------------------------------------

my $clean = FeatImage::png(4, 3);
for my $type (qw(tEXt zTXt iTXt eXIf tIME bKGD sPLT prVt)) {
    my $p = FeatImage::png(4, 3,
        before_idat => [ FeatImage::chunk($type, $secret) ],
        after_idat => [ FeatImage::chunk($type, $secret) ]);
    for my $s (both($p, "PNG with $type")) {
        is($s, $clean, "... stored without $type, the rest byte for byte");
        ok(png_valid($s), '... a valid PNG');
    }
}
for my $type (qw(tRNS gAMA cHRM sRGB iCCP pHYs)) {
    my $p = FeatImage::png(4, 3,
        before_idat => [ FeatImage::chunk($type, "\0\0\0\1") ]);
    for my $s (both($p, "PNG with $type")) {
        is($s, $p, "... $type kept");
    }
}
for my $s (both(FeatImage::png(4, 3, after_iend => $secret),
                'PNG with data after IEND'))
{
    is($s, $clean, '... stored without it');
    ok(png_valid($s), '... a valid PNG');
}

# ---- JPEG --------------------------------------------------------------------

my $jfif = FeatImage::segment(0xe0, "JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
my $icc = FeatImage::segment(0xe2, "ICC_PROFILE\0\x01\x01profile");
my $adobe = FeatImage::segment(0xee, "Adobe\0\x64\0\0\0\0\x01");
my $base = FeatImage::jpeg(3, 2, segments => [ $jfif, $icc, $adobe ]);
my @kept = ('APP0 JFIF', 'APP2 ICC_PROFILE', 'APP14 Adobe', 'DQT', 'SOF0',
    'SOS', 'EOI');
is_deeply([ FeatImage::jpeg_markers($base) ], \@kept,
    '(the JPEG base is walked as built)');

my %drop = (
    'APP1 Exif' => FeatImage::segment(0xe1, "Exif\0\0MM\0\x2a$secret"),
    'APP1 XMP'  => FeatImage::segment(0xe1,
        "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>$secret</x:xmpmeta>"),
    'APP0 JFXX' => FeatImage::segment(0xe0, "JFXX\0\x10$secret"),
    'APP2 MPF'  => FeatImage::segment(0xe2, "MPF\0II*\0$secret"),
    'APP13 IPTC' => FeatImage::segment(0xed, "Photoshop 3.0\0$secret"),
    'APP14 Ducky' => FeatImage::segment(0xee, "Ducky\0$secret"),
    'APP15'     => FeatImage::segment(0xef, $secret),
    'COM'       => FeatImage::segment(0xfe, $secret),
);
for my $name (sort keys %drop) {
    my $p = FeatImage::jpeg(3, 2,
        segments => [ $jfif, $drop{$name}, $icc, $adobe ]);
    for my $s (both($p, "JPEG with $name")) {
        is($s, $base, "... stored without $name, the rest byte for byte");
        is_deeply([ FeatImage::jpeg_markers($s) ], \@kept,
            '... a JPEG walked to EOI');
        unlike($s, qr/GPS=/, '... the secret gone');
    }
}
for my $s (both(FeatImage::jpeg(3, 2, segments => [ $jfif, $icc, $adobe ],
                                after_eoi => $secret),
                'JPEG with data after EOI'))
{
    is($s, $base, '... stored without it');
}

# ---- GIF ---------------------------------------------------------------------

my $frame = FeatImage::gif_frame();
my $gce = "\x21\xf9\x04\x01\x00\x00\x00\x00";
my $gif = FeatImage::gif(1, 1, blocks => [ FeatImage::gif_loop, $gce, $frame ]);
is_deeply([ FeatImage::gif_blocks($gif) ],
    [ 'app NETSCAPE2.0', 'ext f9', 'image', 'trailer' ],
    '(the GIF base is walked as built)');

my %gdrop = (
    'a comment extension' => FeatImage::gif_ext(0xfe, undef, $secret),
    'an XMP application extension' =>
        FeatImage::gif_ext(0xff, 'XMP DataXMP', "<x:xmpmeta>$secret"),
    'an ICC application extension' =>
        FeatImage::gif_ext(0xff, 'ICCRGBG1012', $secret),
    'a NETSCAPE2.0 block carrying more than the loop' =>
        FeatImage::gif_ext(0xff, 'NETSCAPE2.0', "\x01\x00\x00$secret"),
);
for my $name (sort keys %gdrop) {
    my $p = FeatImage::gif(1, 1, blocks => [ FeatImage::gif_loop,
        $gdrop{$name}, $gce, $frame, $gdrop{$name} ]);
    for my $s (both($p, "GIF with $name")) {
        is($s, $gif, "... stored without it, the rest byte for byte");
        is_deeply([ FeatImage::gif_blocks($s) ],
            [ 'app NETSCAPE2.0', 'ext f9', 'image', 'trailer' ],
            '... a GIF walked to its trailer, the loop block kept');
    }
}
for my $s (both(FeatImage::gif(1, 1,
                    blocks => [ FeatImage::gif_loop, $gce, $frame ],
                    after => $secret),
                'GIF with data after the trailer'))
{
    is($s, $gif, '... stored without it');
}

$t->stop;
done_testing;
