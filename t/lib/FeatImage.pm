package FeatImage;

# FeatImage: crafted PNG, JPEG and GIF files and their uploads, for the
# tests of what the upload routes refuse and strip (t/10-image-limits.t,
# t/10-image-strip.t):
#
#     my $png = FeatImage::png(4, 3, before_idat => [ chunk('tEXt', ...) ]);
#     my ($st, $h, $j) = FeatImage::upload_feat($t, $token, $bytes);
#     my $j = FeatImage::upload_v1($t, $u, $bytes);
#     my @files = FeatImage::media_files($t);
#
# The files are built byte by byte; nothing decodes them but the checks
# of valid() (structure walked to the end marker, as featcgi does).

use strict;
use warnings;

use Compress::Zlib qw(compress crc32);
use File::Find qw(find);
use FeatV1Content;

my $BOUNDARY = 'featImageBoundary5b9c1e0d';

# ---- PNG ---------------------------------------------------------------------

sub chunk {
    my ($type, $data) = @_;

    return pack('N', length $data) . $type . $data
        . pack('N', crc32($type . $data));
}

# A w x h grey PNG; before_idat / after_idat: chunks to add; after_iend:
# bytes after the end.  The IDAT holds the real rows only while they are
# small: a crafted huge header gets a token IDAT (nothing decodes it).
sub png {
    my ($w, $h, %o) = @_;
    my $raw = ($w * $h <= 1_000_000)
        ? join('', map { "\0" . ("\x80" x $w) } 1 .. $h) : "\0\x80";

    return "\x89PNG\r\n\x1a\n"
        . chunk('IHDR', pack('NNCCCCC', $w, $h, 8, 0, 0, 0, 0))
        . join('', @{ $o{before_idat} // [] })
        . chunk('IDAT', compress($raw))
        . join('', @{ $o{after_idat} // [] })
        . chunk('IEND', '')
        . ($o{after_iend} // '');
}

# The chunk types of a PNG, in order.
sub png_chunks {
    my ($p) = @_;
    my ($pos, @types) = (8);

    while ($pos + 8 <= length $p) {
        my ($len, $type) = unpack('Na4', substr($p, $pos, 8));
        push @types, $type;
        $pos += 12 + $len;
        last if $type eq 'IEND';
    }
    return @types;
}

# ---- JPEG --------------------------------------------------------------------

sub segment {
    my ($marker, $data) = @_;

    return "\xff" . chr($marker) . pack('n', length($data) + 2) . $data;
}

# A JPEG of w x h (SOF0, one component), the given segments between SOI
# and the frame header, then a tiny scan and EOI, then after_eoi.
sub jpeg {
    my ($w, $h, %o) = @_;

    return "\xff\xd8"
        . join('', @{ $o{segments} // [] })
        . segment(0xdb, "\0" . join('', map { chr } 1 .. 64))
        . segment(0xc0, pack('CnnC', 8, $h, $w, 1) . "\x01\x11\x00")
        . segment(0xda, "\x01\x01\x00\x00\x3f\x00")
        . "\x12\x34\xff\x00\x56"
        . "\xff\xd9"
        . ($o{after_eoi} // '');
}

# The markers of a JPEG up to EOI, as "APP0 JFIF", "APP2 ICC_PROFILE",
# "COM", "SOF0" ... (APPn with the identifier up to its first NUL).
sub jpeg_markers {
    my ($p) = @_;
    my ($pos, @m) = (2);

    while ($pos + 2 <= length $p) {
        my $m = ord(substr($p, $pos + 1, 1));
        if ($m == 0xd9) { push @m, 'EOI'; last }
        my $len = unpack('n', substr($p, $pos + 2, 2));
        my $data = substr($p, $pos + 4, $len - 2);
        if ($m >= 0xe0 && $m <= 0xef) {
            my ($id) = $data =~ /^([^\0]*)/;
            push @m, sprintf('APP%d %s', $m - 0xe0, $id);
        } else {
            push @m, $m == 0xfe ? 'COM' : $m == 0xda ? 'SOS'
                : $m == 0xdb ? 'DQT' : sprintf('SOF%d', $m - 0xc0);
        }
        $pos += 2 + $len;
        if ($m == 0xda) {
            # the scan: up to the next marker that is not 00 or RSTn
            while ($pos + 1 < length $p) {
                if (substr($p, $pos, 1) eq "\xff") {
                    my $n = ord(substr($p, $pos + 1, 1));
                    last if $n != 0 && !($n >= 0xd0 && $n <= 0xd7);
                }
                $pos++;
            }
        }
    }
    return @m;
}

# ---- GIF ---------------------------------------------------------------------

# Sub-blocks of at most 255 bytes, then the terminator.
sub sub_blocks {
    my ($data) = @_;
    my $s = '';

    $s .= chr(length $1) . $1 while $data =~ /\G(.{1,255})/gs;
    return $s . "\0";
}

sub gif_ext {
    my ($label, $first, $data) = @_;

    return "\x21" . chr($label) . (defined $first ? chr(length $first)
        . $first : '') . sub_blocks($data // '');
}

# The NETSCAPE2.0 loop block (loop forever).
sub gif_loop { return "\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00" }

# One 1 x 1 frame at (left, top) claiming w x h.
sub gif_frame {
    my ($w, $h, $left, $top) = @_;

    return "\x2c" . pack('vvvv', $left // 0, $top // 0, $w // 1, $h // 1)
        . "\x00\x02\x02\x44\x01\x00";
}

# A GIF89a screen of w x h with a two-colour table, the blocks given
# (default: a graphic control extension and one 1 x 1 frame), the trailer,
# then after.
sub gif {
    my ($w, $h, %o) = @_;

    return 'GIF89a' . pack('vv', $w, $h) . "\x80\x00\x00"
        . "\x00\x00\x00\xff\xff\xff"
        . join('', @{ $o{blocks}
            // [ "\x21\xf9\x04\x01\x00\x00\x00\x00", gif_frame() ] })
        . "\x3b"
        . ($o{after} // '');
}

# The blocks of a GIF as "ext f9", "ext fe", "app NETSCAPE2.0", "image",
# "trailer", and "after" when bytes follow the trailer.
sub gif_blocks {
    my ($p) = @_;
    my ($pos, @b) = (13);
    my $flags = ord(substr($p, 10, 1));

    $pos += 3 << (($flags & 7) + 1) if $flags & 0x80;
    my $skip = sub {
        while (1) {
            my $sz = ord(substr($p, $pos++, 1));
            last if $sz == 0;
            $pos += $sz;
        }
    };
    while ($pos < length $p) {
        my $c = ord(substr($p, $pos++, 1));
        if ($c == 0x3b) {
            push @b, 'trailer';
            push @b, 'after' if $pos < length $p;
            last;
        }
        if ($c == 0x21) {
            my $label = ord(substr($p, $pos++, 1));
            if ($label == 0xff) {
                my $len = ord(substr($p, $pos, 1));
                push @b, 'app ' . substr($p, $pos + 1, $len);
            } else {
                push @b, sprintf('ext %02x', $label);
            }
            $skip->();
            next;
        }
        if ($c == 0x2c) {
            my $f = ord(substr($p, $pos + 8, 1));
            $pos += 9;
            $pos += 3 << (($f & 7) + 1) if $f & 0x80;
            $pos++;
            $skip->();
            push @b, 'image';
            next;
        }
        push @b, sprintf('junk %02x', $c);
        last;
    }
    return @b;
}

# ---- uploads -----------------------------------------------------------------

sub multipart {
    my ($name, $bytes) = @_;

    return "--$BOUNDARY\r\nContent-Disposition: form-data; name=\"$name\";"
        . " filename=\"up.bin\"\r\nContent-Type: application/octet-stream"
        . "\r\n\r\n$bytes\r\n--$BOUNDARY--\r\n";
}

# POST /api/user/user-image/ (feat): ($status, $headers, $json).
sub upload_feat {
    my ($t, $token, $bytes) = @_;

    return $t->post('/api/user/user-image/', multipart('image', $bytes),
        { -token => $token,
          'Content-Type' => "multipart/form-data; boundary=$BOUNDARY" });
}

# POST /api/user/img (v1): the decoded body.
sub upload_v1 {
    my ($t, $u, $bytes) = @_;

    return scalar FeatV1Content::v1($t, $u, 'POST', '/api/user/img',
        multipart('img', $bytes),
        { 'Content-Type' => "multipart/form-data; boundary=$BOUNDARY" });
}

# Every file under media_dir, sorted.
sub media_files {
    my ($t) = @_;
    my @f;

    return () if !-d $t->dir . '/media';
    find(sub { push @f, $File::Find::name if -f $_ }, $t->dir . '/media');
    return sort @f;
}

# The bytes of a stored image, by its public URL.
sub stored {
    my ($t, $url) = @_;
    my ($rel) = $url =~ m{/media/(.*)$};

    open(my $fh, '<:raw', $t->dir . "/media/$rel") or return undef;
    local $/;
    return scalar <$fh>;
}

1;
