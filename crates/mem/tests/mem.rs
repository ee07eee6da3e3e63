//! `copy` and `compare` against the slice operations, at every alignment and length that the
//! word loops, their tails and the short paths distinguish.
use proptest::prelude::*;
use siyu_mem::{compare, copy};

fn copied(src: &[u8], from: usize, to: usize, n: usize) -> Vec<u8> {
    let mut dest = vec![0xAAu8; to + n + 8];
    unsafe { copy(dest.as_mut_ptr().add(to), src.as_ptr().add(from), n) };
    dest
}

#[test]
fn copies_every_length_at_every_alignment() {
    let src: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
    for n in 0..=80 {
        for from in 0..8 {
            for to in 0..8 {
                let dest = copied(&src, from, to, n);
                assert_eq!(&dest[to..to + n], &src[from..from + n], "n {n} from {from} to {to}");
                assert!(dest[..to].iter().chain(&dest[to + n..]).all(|&b| b == 0xAA), "nothing written outside, n {n} from {from} to {to}");
            }
        }
    }
}

#[test]
fn compares_as_unsigned_bytes_with_the_first_difference_deciding() {
    for n in 0..=40 {
        for at in 0..n {
            for (x, y) in [(1u8, 2u8), (0x80, 0x7F), (0, 255)] {
                let mut a: Vec<u8> = (0..n as u8).collect();
                let mut b = a.clone();
                a[at] = x;
                b[at] = y;
                if at + 1 < n {
                    // A later difference the other way must not decide.
                    a[at + 1] = 0;
                    b[at + 1] = 255;
                }
                let got = unsafe { compare(a.as_ptr(), b.as_ptr(), n) };
                assert_eq!(got.signum(), (x as i32 - y as i32).signum(), "n {n} at {at}");
                assert_eq!(unsafe { compare(b.as_ptr(), a.as_ptr(), n) }.signum(), -got.signum());
            }
        }
        let a: Vec<u8> = (0..n as u8).collect();
        assert_eq!(unsafe { compare(a.as_ptr(), a.clone().as_ptr(), n) }, 0);
    }
}

proptest! {
    #[test]
    fn copy_and_compare_agree_with_slices(src in proptest::collection::vec(any::<u8>(), 0..300), other in proptest::collection::vec(any::<u8>(), 0..300), from in 0usize..16, to in 0usize..16) {
        let from = from.min(src.len());
        let n = src.len() - from;
        let dest = copied(&src, from, to, n);
        prop_assert_eq!(&dest[to..to + n], &src[from..]);
        let n = src.len().min(other.len());
        let got = unsafe { compare(src.as_ptr(), other.as_ptr(), n) };
        prop_assert_eq!(got.signum(), src[..n].cmp(&other[..n]) as i32);
    }
}
